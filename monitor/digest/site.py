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

import re
from datetime import datetime
from pathlib import Path

from monitor.config import AppConfig
from monitor.files import write_atomic as write_atomic
from monitor.files import write_durable as write_durable


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


def accepted_note_path(config: AppConfig, recipient: str, digest_id: int) -> Path:
    """Where the server's acceptance of a digest is noted until the archive records it."""
    return mail_dir(config) / slug(recipient) / f"{digest_id}.accepted"


def digest_paths(config: AppConfig, recipient: str, digest_id: int) -> tuple[Path, Path, Path]:
    """``(page, text, eml)`` for a stored digest."""
    name = slug(recipient)
    page = site_dir(config) / name / f"{digest_id}.html"
    base = mail_dir(config) / name / str(digest_id)
    return page, base.with_suffix(".txt"), base.with_suffix(".eml")


def public_page_url(config: AppConfig, recipient: str, digest_id: int) -> str:
    """The digest's page where ``digest.public_url`` publishes ``site_dir`` ("" when unset)."""
    base = config.settings.digest.public_url
    return f"{base}/{slug(recipient)}/{digest_id}.html" if base else ""


def public_index_url(config: AppConfig) -> str:
    """The published index of past digests ("" when ``digest.public_url`` is unset)."""
    base = config.settings.digest.public_url
    return f"{base}/index.html" if base else ""


def outbox_paths(outbox: Path, recipient: str, now: datetime) -> tuple[Path, Path, Path]:
    """``(html, text, eml)`` for a preview or dry run."""
    stem = f"{slug(recipient)}-{now:%Y%m%dT%H%M%SZ}"
    return outbox / f"{stem}.html", outbox / f"{stem}.txt", outbox / f"{stem}.eml"
