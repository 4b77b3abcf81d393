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

from monitor.config import QueueSettings
from tests.conftest import PG_ENV, PG_SKIP, scratch_postgres_database

REDIS_ENV = "MONITOR_TEST_REDIS_URL"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (dropped afterwards)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    with scratch_postgres_database(base, "monitor_scale") as url:
        yield url


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
