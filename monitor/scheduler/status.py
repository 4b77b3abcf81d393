"""What ``monitor status`` shows: the daemon, every job's next run and last result, source health
and what is waiting for each recipient. Computed from configuration and the database, so it works
from any shell while the daemon runs elsewhere."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.config import AppConfig
from monitor.db import jobs as q
from monitor.db.engine import Database
from monitor.db.models import JobRun
from monitor.db.read.sources import source_health
from monitor.digest.subscriptions import digest_recipients
from monitor.records import HealthCounts
from monitor.scheduler.jobs import CRAWL_JOB, UPKEEP_JOB, digest_job_id
from monitor.schedules import next_due, parse_crontab, parse_schedule


@dataclass
class JobStatus:
    job_id: str
    schedule: str
    next_run: datetime | None
    last_status: str | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class RecipientStatus:
    name: str
    schedule: str
    timezone: str
    next_due: datetime | None
    last_due_at: datetime | None
    last_delivered_at: datetime | None
    unsent_relevant_items: int
    unfinished_digests: int


@dataclass
class FrontierStatus:
    """The shared frontier (``queue.url``): what waits, what is in flight, what is set aside."""

    waiting: int = 0
    in_flight: int = 0
    workers: int = 0
    set_aside: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # Redis could not be reached


@dataclass
class Status:
    now: datetime
    daemon: dict[str, Any] | None
    jobs: list[JobStatus]
    sources: dict[str, int]
    recipients: list[RecipientStatus]
    frontier: FrontierStatus | None = None

    def as_dict(self) -> dict[str, Any]:
        def conv(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: conv(v) for k, v in value.items()}
            if isinstance(value, list):
                return [conv(v) for v in value]
            return value

        result: dict[str, Any] = conv(asdict(self))
        return result


def _last(job: JobStatus, run: JobRun | None) -> None:
    if run is None:
        return
    job.last_status = run.status
    job.last_started_at = run.started_at
    job.last_finished_at = run.finished_at
    detail = dict(run.detail or {})
    for noisy in ("daemon_ticks", "stdout_tail"):
        detail.pop(noisy, None)
    job.last_detail = detail


def collect_status(config: AppConfig, db: Database, now: datetime) -> Status:
    sched = config.settings.schedule
    digest_for = digest_recipients(config, db)
    with db.session() as session:
        latest = q.latest_job_runs(session)
        daemons = q.running_daemons(session)
        daemon = None
        for run in reversed(daemons):
            d = run.detail or {}
            if q.pid_alive(d.get("daemon_pid"), d.get("daemon_ticks")) or d.get("host") not in (
                None,
                _host(),
            ):
                daemon = {
                    "pid": d.get("daemon_pid"),
                    "host": d.get("host"),
                    "since": run.started_at,
                }
                break
        jobs: list[JobStatus] = []
        crawl_every = timedelta(minutes=sched.crawl_every_minutes)
        crawl = JobStatus(CRAWL_JOB, f"every {sched.crawl_every_minutes} min", None)
        last_crawl = latest.get(CRAWL_JOB)
        _last(crawl, last_crawl)
        if daemon is not None:
            crawl.next_run = max(last_crawl.started_at + crawl_every, now) if last_crawl else now
        jobs.append(crawl)
        recipients = []
        for r in digest_for:
            schedule = parse_schedule(r.schedule)
            nxt = next_due(schedule, r.timezone, now)
            job = JobStatus(digest_job_id(r.name), f"{r.schedule} ({r.timezone})", nxt)
            _last(job, latest.get(job.job_id))
            jobs.append(job)
            backlog = q.recipient_backlog(session, r.name)
            recipients.append(
                RecipientStatus(
                    name=r.name,
                    schedule=r.schedule,
                    timezone=r.timezone,
                    next_due=nxt,
                    last_due_at=backlog.last_due_at,
                    last_delivered_at=backlog.last_delivered_at,
                    unsent_relevant_items=backlog.unsent_relevant_items,
                    unfinished_digests=backlog.unfinished_digests,
                )
            )
        upkeep = JobStatus(
            UPKEEP_JOB,
            f"cron {sched.upkeep_cron} ({sched.timezone})",
            next_due(parse_crontab(sched.upkeep_cron), sched.timezone, now),
        )
        _last(upkeep, latest.get(UPKEEP_JOB))
        jobs.append(upkeep)
        health = HealthCounts.of(source_health(session), now)
    return Status(
        now=now,
        daemon=daemon,
        jobs=jobs,
        sources=asdict(health),
        recipients=recipients,
        frontier=frontier_status(config) if config.settings.queue.enabled else None,
    )


def frontier_status(config: AppConfig) -> FrontierStatus:
    """Read the frontier; a Redis that cannot be reached is reported, not raised."""
    from monitor.frontier import FrontierError, open_frontier

    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - the queue extra is not installed
        return FrontierStatus(error="the Redis client is not installed")
    try:
        stats = open_frontier(config.settings.queue).stats()
    except (FrontierError, RedisError) as exc:
        return FrontierStatus(error=str(exc))
    return FrontierStatus(
        waiting=stats.length - stats.pending,
        in_flight=stats.pending,
        workers=stats.consumers,
        set_aside=[asdict(a) for a in stats.set_aside],
    )


def _host() -> str:
    import socket

    return socket.gethostname()
