"""Retrying a short write while another process holds the archive's write lock.

SQLite lets one writer at a time: a crawl batch, ``VACUUM`` or a long migration can hold the lock
for longer than the connection's busy timeout (30 s), and the write fails with "database is
locked". PostgreSQL fails in the same way on a lock timeout, a deadlock or a serialisation
conflict. Bookkeeping that must not be lost (a digest the mail server accepted) is retried with
:func:`retry_locked` until it goes through or ``wait_s`` has passed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")

BOOKKEEPING_WAIT_S = 600.0
_LOCKED = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "lock timeout",
    "deadlock detected",
    "could not serialize",
    "could not obtain lock",
)


def is_locked(exc: BaseException) -> bool:
    """Whether ``exc`` says another writer held a lock (worth trying again)."""
    return isinstance(exc, OperationalError) and any(
        text in str(exc.orig).lower() for text in _LOCKED
    )


def retry_locked(
    action: Callable[[], T],
    *,
    what: str,
    wait_s: float = BOOKKEEPING_WAIT_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``action()`` (one whole transaction), again after a pause while the archive is locked."""
    deadline = clock() + wait_s
    pause = 0.2
    attempt = 1
    while True:
        try:
            return action()
        except OperationalError as exc:
            if not is_locked(exc) or clock() >= deadline:
                raise
            log.warning("Archive locked, retrying what=%s attempt=%d", what, attempt)
        sleep(min(pause, max(deadline - clock(), 0.0)))
        pause = min(pause * 2, 10.0)
        attempt += 1
