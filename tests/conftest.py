"""Shared fixtures: a migrated archive on SQLite and (in CI) PostgreSQL, and the local news site.

PostgreSQL tests run when ``MONITOR_TEST_POSTGRES_URL`` names a server (``.ci/run`` sets it); each
test session gets its own freshly created database, dropped at the end. Elsewhere they are skipped
with the reason shown by ``pytest -ra``.

The network tripwire (:mod:`tests.tripwire.sitecustomize`) is installed in this process and, through
``PYTHONPATH``, in every Python process a test starts: a test that connects (or makes a child
connect) to anything but loopback fails.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from monitor.db.engine import Database, normalise_url
from monitor.db.models import Base
from tests.tripwire import sitecustomize as tripwire

pytest_plugins = ["tests.browser_support", "tests.newsite.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PG_ENV = "MONITOR_TEST_POSTGRES_URL"
PG_SKIP = f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test); .ci/run sets it"

# one tripwire log per test process (each xdist worker imports this file itself)
TRIPWIRE_LOG = Path(tempfile.mkstemp(prefix="tripwire-", suffix=".log")[1])
os.environ[tripwire.LOG_VARIABLE] = str(TRIPWIRE_LOG)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(Path(tripwire.__file__).parent), *filter(None, [os.environ.get("PYTHONPATH")])]
)
tripwire.install()


def tripwire_hits() -> list[str]:
    """Every connection the tripwire stopped so far in this test process and its children."""
    return TRIPWIRE_LOG.read_text(encoding="utf-8").splitlines()


@pytest.fixture(autouse=True)
def _no_connection_leaves_loopback() -> Iterator[None]:
    before = len(tripwire_hits())
    yield
    hits = tripwire_hits()[before:]
    if hits:
        pytest.fail(f"tripwire: {len(hits)} connection(s) to a non-loopback address: {hits}")


@contextmanager
def scratch_postgres_database(base: str, prefix: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database beside ``base``'s; dropped afterwards, with any
    connection still open to it."""
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield normalise_url(base).rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session (dropped afterwards)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    with scratch_postgres_database(base, "monitor_test") as url:
        yield url


@pytest.fixture(scope="session")
def _pg_database(postgres_url: str) -> Iterator[Database]:
    db = Database.open(postgres_url)
    yield db
    db.close()


def _truncate_all(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty archive: a real SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        database = Database.open(f"sqlite:///{tmp_path / 'archive.db'}")
        yield database
        database.close()
    else:
        database = request.getfixturevalue("_pg_database")
        _truncate_all(database)
        yield database


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty SQLite archive only (for tests that are about SQLite itself)."""
    database = Database.open(f"sqlite:///{tmp_path / 'archive.db'}")
    yield database
    database.close()
