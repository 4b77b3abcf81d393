"""Is this installation healthy? The archive answers, a scheduler beats, how many sources fail.

``/healthz`` shows the report; ``/metrics`` exports the same facts as gauges. Nothing in it comes
from the archive's content (no titles, URLs or source names), so it can be answered without a
login.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from monitor.db.engine import Database
from monitor.db.read.operations import Heartbeat, daemon_heartbeat, source_states

log = logging.getLogger(__name__)

# a heartbeat older than this many intervals (and at least MIN_STALE_S) means the scheduler is gone
STALE_BEATS = 3
MIN_STALE_S = 90.0


def stale_after_s(beat: Heartbeat) -> float:
    return max(MIN_STALE_S, STALE_BEATS * beat.interval_s)


def heartbeat_age_s(beat: Heartbeat, now: datetime) -> float:
    return max((now - beat.beat_at).total_seconds(), 0.0)


@dataclass(frozen=True)
class HealthReport:
    database_error: str | None
    heartbeat: Heartbeat | None
    sources_enabled: int
    sources_failing: int
    now: datetime

    @property
    def database_ok(self) -> bool:
        return self.database_error is None

    @property
    def heartbeat_age_s(self) -> float | None:
        return None if self.heartbeat is None else heartbeat_age_s(self.heartbeat, self.now)

    @property
    def scheduler_running(self) -> bool:
        beat = self.heartbeat
        return beat is not None and heartbeat_age_s(beat, self.now) <= stale_after_s(beat)

    @property
    def status(self) -> str:
        """``ok``; ``degraded`` (no live scheduler); ``unavailable`` (the archive does not answer)."""
        if not self.database_ok:
            return "unavailable"
        return "ok" if self.scheduler_running else "degraded"

    def as_dict(self) -> dict[str, Any]:
        age = self.heartbeat_age_s
        scheduler: dict[str, Any] = {
            "running": self.scheduler_running,
            "heartbeat_age_s": None if age is None else round(age, 1),
        }
        if self.heartbeat is not None:
            scheduler["stale_after_s"] = stale_after_s(self.heartbeat)
        return {
            "status": self.status,
            "database": "ok" if self.database_ok else f"unreachable ({self.database_error})",
            "scheduler": scheduler,
            "sources": {"enabled": self.sources_enabled, "failing": self.sources_failing},
            "checked_at": self.now.isoformat(timespec="seconds"),
        }


def check_health(db: Database, now: datetime) -> HealthReport:
    """One short read of the archive; a failure to read is the report, never an exception."""
    try:
        with db.session() as session:
            beat = daemon_heartbeat(session)
            states = [s for s in source_states(session) if s.enabled]
    except SQLAlchemyError as exc:
        # the details (host names, paths) go to the log, not to an unauthenticated page
        log.warning("Health check: the archive does not answer: %s", exc)
        return HealthReport(type(exc).__name__, None, 0, 0, now)
    failing = sum(1 for s in states if s.consecutive_failures > 0)
    return HealthReport(None, beat, len(states), failing, now)
