"""Which database URLs the archive accepts, and the driver ``postgresql://`` means here.

Configuration validates ``database_url`` with this; :mod:`monitor.db.engine` opens what it allows.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy's default driver is psycopg2)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def check_database_url(url: str) -> str:
    """``url`` when it names a supported database; a one-line reason otherwise (ValueError)."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        raise ValueError(
            "not a database URL; use sqlite:///PATH or postgresql://user@host:5432/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ValueError(
            f"{backend} is not supported; use null (SQLite in data_dir), sqlite:///PATH or "
            "postgresql://user@host:5432/db"
        )
    return url
