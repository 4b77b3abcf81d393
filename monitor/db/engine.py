"""Opening the archive: engine, sessions, migrations.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout, so a crawl
child, the scheduler and the web app can share one file. PostgreSQL is used through psycopg 3.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.database_url import check_database_url, normalise_url
from monitor.errors import StorageError

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; creates the SQLite file's directory when needed."""
    try:
        check_database_url(url)
    except ValueError as exc:
        raise StorageError(f"storage: database URL: {exc}") from None
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            try:
                Path(db).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(
                    f"storage: cannot create the directory of {db}: {exc.strerror or exc}"
                ) from None
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    try:
        command.upgrade(alembic_config(engine), revision)
    except OperationalError as exc:
        raise StorageError(f"storage: migration failed on {engine.url!r}: {exc.orig}") from None


def ensure_migrated(engine: Engine) -> bool:
    """Migrate when the database is behind; returns True when anything was applied."""
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise StorageError(
            f"storage: cannot open {engine.url!r}: {exc.orig}. Check database_url / MONITOR_DATABASE_URL."
        ) from None
    if current == head_revision(engine):
        return False
    log.info("Migrating database url=%s from=%s", engine.url.render_as_string(), current)
    upgrade(engine)
    return True


class Database:
    """An engine plus a session factory; the one handle the rest of the code passes around."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Database:
        db = cls(create_db_engine(url))
        if migrate:
            ensure_migrated(db.engine)
        return db

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
