"""Files a digest leaves behind: the static site of past digests and the stored messages.

Layout under ``data_dir``::

    digests/index.html                 every delivered digest, newest first (host this folder)
    digests/<recipient>/<id>.html      one digest as a web page
    mail/<recipient>/<id>.eml          the exact message sent (resent unchanged after a crash)
    mail/<recipient>/<id>.txt          its plain-text part
    mail/<recipient>/<id>.accepted     written (and synced) the moment the server accepted it,
                                       until the archive records it as sent

Previews and dry runs go to ``outbox_dir`` as ``<recipient>-<UTC timestamp>.{html,txt,eml}``.
Every file is written to a temporary name first and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from monitor.config import AppConfig


def slug(name: str) -> str:
    """A file-name-safe form of a recipient name."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return cleaned[:80] or "recipient"


def site_dir(config: AppConfig) -> Path:
    return config.data_dir / config.settings.digest.site_dir


def mail_dir(config: AppConfig) -> Path:
    return config.data_dir / "mail"


def lock_dir(config: AppConfig) -> Path:
    return config.data_dir / "locks"


def write_atomic(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_durable(path: Path, data: str) -> Path:
    """:func:`write_atomic`, and on disk before it returns (file and directory synced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def accepted_note_path(config: AppConfig, recipient: str, digest_id: int) -> Path:
    """Where the server's acceptance of a digest is noted until the archive records it."""
    return mail_dir(config) / slug(recipient) / f"{digest_id}.accepted"


def digest_paths(config: AppConfig, recipient: str, digest_id: int) -> tuple[Path, Path, Path]:
    """``(page, text, eml)`` for a stored digest."""
    name = slug(recipient)
    page = site_dir(config) / name / f"{digest_id}.html"
    base = mail_dir(config) / name / str(digest_id)
    return page, base.with_suffix(".txt"), base.with_suffix(".eml")


def outbox_paths(outbox: Path, recipient: str, now: datetime) -> tuple[Path, Path, Path]:
    """``(html, text, eml)`` for a preview or dry run."""
    stem = f"{slug(recipient)}-{now:%Y%m%dT%H%M%SZ}"
    return outbox / f"{stem}.html", outbox / f"{stem}.txt", outbox / f"{stem}.eml"
