"""Fixtures for the scale-out tests: a fresh PostgreSQL database and a Redis key prefix per test.

They need real servers: ``MONITOR_TEST_POSTGRES_URL`` (as every PostgreSQL test) and Redis at
``MONITOR_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``); without them they skip with the
reason. Each test gets its own database (the scheduler's leader lock is per database) and its
own key prefix, deleted afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from monitor.config import QueueSettings
from monitor.db.engine import normalise_url
from tests.conftest import PG_ENV, PG_SKIP

REDIS_ENV = "MONITOR_TEST_REDIS_URL"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (dropped afterwards)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"monitor_scale_{os.getpid()}_{uuid.uuid4().hex[:8]}"
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


@pytest.fixture
def queue_settings() -> Iterator[QueueSettings]:
    """Queue settings on the test Redis with a key prefix of this test's own."""
    redis = pytest.importorskip("redis")
    url = os.environ.get(REDIS_ENV) or REDIS_DEFAULT
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"the scale-out tests need Redis at {url} ({REDIS_ENV}): {exc}")
    prefix = f"monitor-test-{uuid.uuid4().hex[:10]}"
    try:
        yield QueueSettings(url=url, key_prefix=prefix, visibility_timeout_s=5, standby_poll_s=1)
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
