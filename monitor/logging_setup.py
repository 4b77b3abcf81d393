"""Log configuration for the CLI and the services: text for people, JSON lines for machines.

One handler on the root logger formats every line, ours and the libraries' (uvicorn's included:
``monitor serve`` runs it without a logging set-up of its own). Commands log warnings and errors
by default; the services (``monitor run``, ``monitor serve``) log at INFO by default
(:func:`log_as_service`), so the daemon's job start and end lines and the web server's start-up
and access lines show without ``-v``.

JSON lines carry the message and every ``extra={...}`` field as a key of its own (counts as
numbers), plus ``ts``, ``level`` and ``logger``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

_STD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_UVICORN_ACCESS = "uvicorn.access"


class JsonFormatter(logging.Formatter):
    """One JSON object per line; ``extra={...}`` fields are included as keys."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STD and not key.startswith("_") and key not in out:
                out[key] = (
                    value if isinstance(value, str | int | float | bool | None) else str(value)
                )
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class AccessFields(logging.Filter):
    """Gives uvicorn's access lines (``'%s - "%s %s HTTP/%s" %d'``) their parts as fields:
    ``client``, ``method``, ``path``, ``http_version``, ``status_code``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, path, version, status = args
            record.client = client
            record.method = method
            record.path = path
            record.http_version = version
            record.status_code = status
        return True


def configure_logging(verbose: int = 0, fmt: str = "text") -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    handler = logging.StreamHandler()
    # the handler's own level holds even when a library (Scrapy) resets the root logger's level
    handler.setLevel(level)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("scrapy", "twisted", "filelock", "alembic", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    access = logging.getLogger(_UVICORN_ACCESS)
    if not any(isinstance(f, AccessFields) for f in access.filters):
        access.addFilter(AccessFields())
    # a failed robots.txt fetch is reported with the source's own error; its traceback is noise
    if verbose < 2:
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)


def log_as_service() -> None:
    """A long-running service logs at INFO at least (its own lines and its libraries' go through
    the one handler and format configured by :func:`configure_logging`)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if handler.level > logging.INFO:
            handler.setLevel(logging.INFO)
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
