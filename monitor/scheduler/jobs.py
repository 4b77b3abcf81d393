"""The scheduled jobs: crawl, one digest per recipient (configured ones and saved searches
subscribed to a digest, ``search:NAME``), upkeep.

Each job spawns the matching one-shot command as a supervised child process
(:func:`monitor.scheduler.supervisor.run_child`) and records its start and end as a ``job_runs``
row. Whether a digest or upkeep run is owed is decided from stored state, never from memory:

- digest: owed when the recipient's most recent due time (:func:`previous_due` of its schedule)
  is later than ``recipient_state.last_due_at``. The due time is claimed (compare and set) before
  the child starts, so it runs once however often the check fires; a failed run gives the claim
  back and is retried with back-off while the due time is within ``misfire_grace_s``. A due time
  missed by more than the grace time is recorded as skipped: its items go out with the next digest.
- upkeep: the same rule with the due time of ``schedule.upkeep_cron`` recorded on its job run.
- crawl: runs every ``crawl_every_minutes``; the child itself crawls only the sources that are due.
  With ``queue.url`` no child crawls: the due sources are queued into the shared frontier, and
  ``monitor worker`` processes crawl them (:mod:`monitor.scheduler.worker`).
  After each crawl, ``monitor alerts run`` checks for breaking stories (when anyone wants alerts).
  A ``running`` crawl run whose process is alive blocks another (two daemons, or a manual
  ``monitor crawl``); one whose process is gone is closed as ``aborted``.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from monitor.config import AppConfig, RecipientConfig
from monitor.db import crawl_guard
from monitor.db import jobs as q
from monitor.db.engine import Database
from monitor.db.runs import select_sources
from monitor.digest.subscriptions import digest_recipients
from monitor.frontier import Frontier, open_frontier
from monitor.scheduler.supervisor import ChildResult, run_child
from monitor.schedules import Schedule, parse_crontab, parse_schedule, previous_due

log = logging.getLogger(__name__)

CRAWL_JOB = "crawl"
ALERTS_JOB = "alerts"
UPKEEP_JOB = "upkeep"
DIGEST_PREFIX = "digest:"
Clock = Callable[[], datetime]


def digest_job_id(recipient: str) -> str:
    return f"{DIGEST_PREFIX}{recipient}"


@dataclass(frozen=True)
class RunOptions:
    """Daemon knobs. The defaults suit production; tests shorten them."""

    crawl_every_s: float | None = None  # None: schedule.crawl_every_minutes
    tick_s: float = 30.0  # how often owed runs and the config file are checked
    kill_grace_s: float = 10.0  # SIGTERM → SIGKILL
    stop_wait_s: float = 30.0  # on shutdown, a digest/upkeep child gets this long to finish
    digest_time_limit_s: float = 900.0
    upkeep_time_limit_s: float = 3600.0
    clock_offset_s: float = 0.0
    child_args: tuple[str, ...] = ()  # global options passed to children (log format, -v)
    python: str = field(default_factory=lambda: sys.executable)

    def crawl_interval_s(self, config: AppConfig) -> float:
        if self.crawl_every_s is not None:
            return self.crawl_every_s
        return float(config.settings.schedule.crawl_every_minutes * 60)


@dataclass(frozen=True)
class Decision:
    """``run``: owed now; ``skip_late``: owed but missed by more than the grace time."""

    action: Literal["run", "skip_late", "none"]
    due_at: datetime | None = None


def decide(
    schedule: Schedule, timezone: str, last_due: datetime | None, now: datetime, grace_s: float
) -> Decision:
    """Whether the run due at or before ``now`` is owed, given the last due time handled."""
    due = previous_due(schedule, timezone, now)
    if due is None or (last_due is not None and last_due >= due):
        return Decision("none", due)
    if (now - due).total_seconds() > grace_s:
        return Decision("skip_late", due)
    return Decision("run", due)


# LogRecord attributes a count must not overwrite (``extra=`` refuses them)
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "job",
    "run",
    "status",
    "exit_code",
    "duration_s",
    "ts",
    "level",
    "logger",
    "msg",
}


def _counts(output: dict[str, Any]) -> dict[str, int | float]:
    """The numeric fields of a child's JSON summary (for the end log line), at most 12."""
    counts: dict[str, int | float] = {}
    for key, value in output.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            counts[key if key not in _RESERVED else f"result_{key}"] = value
        if len(counts) == 12:
            break
    return counts


class JobRunner:
    """Runs the jobs against the current configuration (replaced on reload)."""

    def __init__(
        self,
        config: AppConfig,
        db: Database,
        options: RunOptions,
        stop: threading.Event,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.options = options
        self.stop = stop
        self.clock: Clock = clock or (
            lambda: datetime.now(UTC) + timedelta(seconds=options.clock_offset_s)
        )
        self.identity = {
            "daemon_pid": os.getpid(),
            "daemon_ticks": q.process_start_ticks(os.getpid()),
            "host": socket.gethostname(),
        }
        self._retry_after: dict[str, tuple[datetime, int]] = {}
        self._lock = threading.Lock()
        self._frontier: Frontier | None = None

    # ------------------------------------------------------------------ helpers

    def child_argv(self, *args: str) -> list[str]:
        cdir = str(self.config.config_dir.resolve())
        return [
            self.options.python,
            "-m",
            "monitor",
            "--config",
            cdir,
            *self.options.child_args,
            *args,
        ]

    def _start(self, job_id: str, extra: dict[str, Any] | None = None) -> int:
        with self.db.session() as session:
            run_id = q.start_job_run(
                session, job_id, self.clock(), {**self.identity, **(extra or {})}
            )
        log.info("Job start job=%s run=%d", job_id, run_id, extra={"job": job_id, "run": run_id})
        return run_id

    def _finish(self, job_id: str, run_id: int, result: ChildResult, extra: dict[str, Any]) -> None:
        detail = {
            "exit_code": result.exit_code,
            "pid": result.pid,
            "duration_s": result.duration_s,
            "signals": list(result.signals_sent),
            "result": result.output,
            **extra,
        }
        if not result.output and result.stdout.strip():
            detail["stdout_tail"] = result.stdout.strip()[-2000:]
        with self.db.session() as session:
            q.finish_job_run(session, run_id, result.status, self.clock(), detail)
        counts = _counts(result.output)
        level = logging.INFO if result.ok else logging.WARNING
        log.log(
            level,
            "Job end job=%s run=%d status=%s exit_code=%s duration_s=%.1f %s",
            job_id,
            run_id,
            result.status,
            result.exit_code,
            result.duration_s,
            " ".join(f"{k}={v}" for k, v in counts.items()),
            extra={
                "job": job_id,
                "run": run_id,
                "status": result.status,
                "exit_code": result.exit_code,
                "duration_s": round(result.duration_s, 3),
                **counts,
            },
        )

    def _record_skip(self, job_id: str, reason: str, extra: dict[str, Any] | None = None) -> None:
        now = self.clock()
        with self.db.session() as session:
            run_id = q.start_job_run(session, job_id, now, {**self.identity, **(extra or {})})
            q.finish_job_run(session, run_id, "skipped", now, {"message": reason})
        log.info("Job skipped job=%s reason=%s", job_id, reason, extra={"job": job_id})

    def _backoff(self, job_id: str, now: datetime, failed: bool) -> None:
        with self._lock:
            if not failed:
                self._retry_after.pop(job_id, None)
                return
            _, n = self._retry_after.get(job_id, (now, 0))
            delay = min(60 * 2**n, 1800)
            self._retry_after[job_id] = (now + timedelta(seconds=delay), n + 1)
            log.warning("Job will be retried job=%s in_s=%d", job_id, delay)

    def inherit_backoff(self, other: JobRunner) -> None:
        with other._lock:
            self._retry_after = dict(other._retry_after)

    def _waiting(self, job_id: str, now: datetime) -> bool:
        with self._lock:
            entry = self._retry_after.get(job_id)
        return entry is not None and now < entry[0]

    # ------------------------------------------------------------------ crawl

    def crawl_blocker(self) -> str | None:
        """Why a crawl must not start now (another live crawl, its pid *and* start time
        checked), closing stale ``running`` rows (:mod:`monitor.db.crawl_guard`)."""
        now = self.clock()
        limit = self.config.settings.crawl.run_time_limit_s + self.options.kill_grace_s + 600
        with self.db.session() as session:
            closed, live = crawl_guard.close_stale_runs(
                session, now=now, stale_after_s=limit, who="scheduler"
            )
        for run_id in closed:
            log.warning("Closed stale crawl run run=%d", run_id)
        if live:
            return f"{crawl_guard.describe(live[0])} is still running"
        return None

    def run_crawl(self) -> ChildResult | None:
        if self.stop.is_set():
            return None
        if self.config.settings.queue.enabled:
            self.queue_due_sources()
            self.run_alerts()
            return None
        blocker = self.crawl_blocker()
        if blocker:
            self._record_skip(CRAWL_JOB, blocker)
            return None
        run_id = self._start(CRAWL_JOB)
        result = run_child(
            self.child_argv("crawl", "--due", "--json"),
            time_limit_s=self.config.settings.crawl.run_time_limit_s,
            kill_grace_s=self.options.kill_grace_s,
            stop=self.stop,
            stop_wait_s=0.0,
        )
        closed: list[int] = []
        if not result.ok:
            status = {"killed": "killed", "aborted": "aborted"}.get(result.status, "failed")
            why = {
                "killed": f"killed after the time limit of {self.config.settings.crawl.run_time_limit_s}s",
                "aborted": "stopped because the scheduler shut down",
            }.get(result.status, f"the crawl process exited with code {result.exit_code}")
            with self.db.session() as session:
                closed = q.close_crawl_runs(
                    session,
                    status=status,
                    at=self.clock(),
                    message=f"scheduler: {why}",
                    pid=result.pid,
                )
        self._finish(CRAWL_JOB, run_id, result, {"closed_crawl_runs": closed})
        self.run_alerts()
        return result

    def frontier(self) -> Frontier:
        if self._frontier is None:
            self._frontier = open_frontier(self.config.settings.queue)
        return self._frontier

    def queue_due_sources(self) -> dict[str, Any]:
        """With ``queue.url``: queue every due source for the workers (one entry per source
        until a worker has crawled it); recorded as a ``crawl`` job run."""
        now = self.clock()
        cycle = now.strftime("%Y%m%dT%H%M%SZ")
        run_id = self._start(CRAWL_JOB, {"cycle": cycle, "queue": True})
        detail: dict[str, Any] = {"cycle": cycle}
        status = "ok"
        try:
            with self.db.session() as session:
                due = [
                    (src.id, src.name) for src, _ in select_sources(session, due_only=True, now=now)
                ]
            queued = self.frontier().enqueue(cycle, due)
            detail.update(
                due=len(due),
                queued=queued.added,
                already_queued=queued.already,
                set_aside=queued.set_aside,
            )
        except Exception as exc:  # Redis or the archive away: try again next time
            self._frontier = None
            status = "failed"
            detail["message"] = f"queueing due sources failed: {type(exc).__name__}: {exc}"
            log.warning("Queueing due sources failed error=%s", exc)
        with self.db.session() as session:
            q.finish_job_run(session, run_id, status, self.clock(), detail)
        log.info(
            "Job end job=%s run=%d status=%s due=%s queued=%s already_queued=%s set_aside=%s",
            CRAWL_JOB,
            run_id,
            status,
            detail.get("due"),
            detail.get("queued"),
            detail.get("already_queued"),
            detail.get("set_aside"),
        )
        return detail

    # ------------------------------------------------------------------ alerts

    def wants_alerts(self) -> bool:
        from monitor.alerts.service import alert_recipients

        return bool(alert_recipients(self.config, self.db))

    def run_alerts(self) -> ChildResult | None:
        """After every crawl: ``monitor alerts run`` (new breaking stories, held alerts now due,
        deliveries left unfinished), when some recipient or saved search wants alerts."""
        if self.stop.is_set() or not self.wants_alerts():
            return None
        run_id = self._start(ALERTS_JOB)
        result = run_child(
            self.child_argv("alerts", "run", "--json"),
            time_limit_s=self.options.digest_time_limit_s,
            kill_grace_s=self.options.kill_grace_s,
            stop=self.stop,
            stop_wait_s=self.options.stop_wait_s,
        )
        self._finish(ALERTS_JOB, run_id, result, {})
        return result

    # ------------------------------------------------------------------ digests

    def digest_recipients(self) -> list[RecipientConfig]:
        """Configured recipients and saved searches subscribed to a digest (read each time:
        a subscription added or ended with ``monitor searches`` counts at once)."""
        return digest_recipients(self.config, self.db)

    def recipient(self, name: str) -> RecipientConfig | None:
        return next((r for r in self.digest_recipients() if r.name == name), None)

    def digest_decision(self, name: str, now: datetime | None = None) -> Decision:
        recipient = self.recipient(name)
        if recipient is None:
            return Decision("none")
        now = now or self.clock()
        if self._waiting(digest_job_id(name), now):
            return Decision("none")
        with self.db.session() as session:
            last_due = q.recipient_last_due(session, name)
        grace = self.config.settings.schedule.misfire_grace_s
        return decide(parse_schedule(recipient.schedule), recipient.timezone, last_due, now, grace)

    def run_digest(self, name: str) -> ChildResult | None:
        job_id = digest_job_id(name)
        if self.stop.is_set():
            return None
        now = self.clock()
        decision = self.digest_decision(name, now)
        if decision.action == "none" or decision.due_at is None:
            return None
        due = decision.due_at
        with self.db.session() as session:
            previous = q.recipient_last_due(session, name)
            claimed = q.claim_due(session, name, due)
        if not claimed:
            return None
        if decision.action == "skip_late":
            self._record_skip(
                job_id,
                "due time missed by more than schedule.misfire_grace_s; its items go out next time",
                {"due_at": due.isoformat()},
            )
            return None
        if self.stop.is_set():
            with self.db.session() as session:
                q.release_due(session, name, due, previous)
            return None
        run_id = self._start(job_id, {"due_at": due.isoformat()})
        result = run_child(
            self.child_argv("digest", "--recipient", name, "--send", "--json"),
            time_limit_s=self.options.digest_time_limit_s,
            kill_grace_s=self.options.kill_grace_s,
            stop=self.stop,
            stop_wait_s=self.options.stop_wait_s,
        )
        released = False
        if not result.ok:
            with self.db.session() as session:
                released = q.release_due(session, name, due, previous)
        self._finish(job_id, run_id, result, {"due_at": due.isoformat(), "will_retry": released})
        self._backoff(job_id, self.clock(), failed=released and not self.stop.is_set())
        return result

    # ------------------------------------------------------------------ upkeep

    def upkeep_decision(self, now: datetime | None = None) -> Decision:
        now = now or self.clock()
        if self._waiting(UPKEEP_JOB, now):
            return Decision("none")
        with self.db.session() as session:
            last = q.latest_job_run(session, UPKEEP_JOB, ["ok", "skipped", "running"])
            last_due_text = (last.detail or {}).get("due_at") if last else None
        last_due = datetime.fromisoformat(last_due_text) if last_due_text else None
        settings = self.config.settings.schedule
        return decide(
            parse_crontab(settings.upkeep_cron),
            settings.timezone,
            last_due,
            now,
            settings.misfire_grace_s,
        )

    def run_upkeep(self) -> ChildResult | None:
        if self.stop.is_set():
            return None
        decision = self.upkeep_decision()
        if decision.action == "none" or decision.due_at is None:
            return None
        due = decision.due_at.isoformat()
        if decision.action == "skip_late":
            self._record_skip(
                UPKEEP_JOB, "due time missed by more than the grace time", {"due_at": due}
            )
            return None
        run_id = self._start(UPKEEP_JOB, {"due_at": due})
        result = run_child(
            self.child_argv("upkeep", "--json"),
            time_limit_s=self.options.upkeep_time_limit_s,
            kill_grace_s=self.options.kill_grace_s,
            stop=self.stop,
            stop_wait_s=self.options.stop_wait_s,
        )
        self._finish(UPKEEP_JOB, run_id, result, {"due_at": due})
        self._backoff(UPKEEP_JOB, self.clock(), failed=not result.ok)
        return result

    # ------------------------------------------------------------------ dispatch

    def owed(self, job_id: str) -> bool:
        """Whether a digest/upkeep run is owed now (the daemon's tick asks this)."""
        if job_id == UPKEEP_JOB:
            return self.upkeep_decision().action != "none"
        if job_id.startswith(DIGEST_PREFIX):
            return self.digest_decision(job_id.removeprefix(DIGEST_PREFIX)).action != "none"
        return False
