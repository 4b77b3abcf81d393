"""One active scheduler per archive: a PostgreSQL advisory lock elects the leader.

With ``queue.url`` several ``monitor run`` daemons may start (on several machines, for fail-over).
Each opens a connection of its own to the archive and tries ``pg_try_advisory_lock``; the one
that gets it leads (schedules crawls into the frontier, sends digests, runs upkeep) and holds the
lock as long as that connection lives. The others wait as standbys and try again every
``queue.standby_poll_s`` seconds. When the leader dies, PostgreSQL ends its session and frees the
lock: a process killed outright at once, a machine that vanished once TCP keepalive gives up on
it (:data:`KEEPALIVE`: about 25 s) — so a standby takes over within about half a minute.

A leader that loses its connection has lost the lock (a standby may lead already): it stops.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

LEADER_KEY = 0x6D6F6E6C656164  # "monlead"
# libpq keepalive: a vanished peer is noticed after idle + interval × count seconds
KEEPALIVE: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


class Leadership:
    """The leader lock on a dedicated connection, held for the life of the leader."""

    def __init__(self, database_url: str, *, key: int = LEADER_KEY) -> None:
        self.key = key
        self._engine: Engine = create_engine(
            database_url, poolclass=NullPool, connect_args=dict(KEEPALIVE)
        )
        self._conn: Connection | None = None

    @property
    def leading(self) -> bool:
        return self._conn is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this process leads."""
        if self._conn is not None:
            return True
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            )
        except SQLAlchemyError:
            conn.close()
            raise
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def wait(self, stop: threading.Event, poll_s: float) -> bool:
        """Try every ``poll_s`` until this process leads (True) or ``stop`` is set (False)."""
        announced = False
        while not stop.is_set():
            try:
                if self.try_acquire():
                    return True
            except SQLAlchemyError as exc:
                log.warning("Leader election failed error=%s; trying again", exc)
            if not announced:
                log.info("Standby: another scheduler leads; waiting to take over poll_s=%s", poll_s)
                announced = True
            stop.wait(poll_s)
        return False

    def still_held(self) -> bool:
        """Whether the lock's connection still answers (if not, the lock is gone)."""
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.error("Leader connection lost error=%s", exc)
            self._drop()
            return False
        return True

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except SQLAlchemyError:
                pass

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            except SQLAlchemyError:
                pass
            self._drop()
        self._engine.dispose()
