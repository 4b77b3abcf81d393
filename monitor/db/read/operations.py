"""What operators watch: the scheduler's heartbeat, source states, crawl and delivery totals, job
timings and failed fetches (``/healthz`` and ``/metrics`` of the web app read these).

Totals come from tables that are never pruned (``crawl_runs``, ``deliveries``) and are summed on
every call. ``job_runs`` (pruned after 90 days) and ``crawl_run_sources`` (large) are read
incrementally: each call returns the rows after a watermark the caller keeps, so a scrape costs
only what happened since the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db.models import CrawlRun, CrawlRunSource, Delivery, Digest, FetchState, JobRun, Source

DAEMON_JOB = "daemon"
RUNNING = "running"
# a job row still ``running`` after this long (its daemon was killed) no longer holds back the
# watermark of finished runs
ORPHANED_AFTER = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The newest running scheduler daemon: when it last showed it was alive."""

    pid: int | None
    host: str | None
    started_at: datetime
    beat_at: datetime  # last heartbeat (its start when it has not beaten yet)
    interval_s: float  # how often it beats


@dataclass(frozen=True, slots=True)
class SourceState:
    name: str
    enabled: bool
    consecutive_failures: int
    last_attempt_at: datetime | None
    next_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class CrawlTotals:
    """Crawl runs by status, and the items they brought (sums over every run)."""

    runs_by_status: dict[str, int]
    new_items: int
    relevant_items: int
    revised_items: int
    copies_folded: int
    sources_failed: int
    errors: int


@dataclass(frozen=True, slots=True)
class JobTiming:
    job: str  # crawl | digest | upkeep | …  (a digest's recipient is ``recipient``)
    recipient: str | None
    status: str
    duration_s: float


@dataclass(frozen=True, slots=True)
class FailedFetch:
    http_status: int | None
    message: str  # the first message recorded for the source in that run


def daemon_heartbeat(session: Session) -> Heartbeat | None:
    """The newest ``running`` daemon row, or None when no scheduler has registered."""
    run = session.scalars(
        select(JobRun)
        .where(JobRun.job_id == DAEMON_JOB, JobRun.status == RUNNING)
        .order_by(JobRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return None
    detail = run.detail or {}
    beat_at = run.started_at
    text = detail.get("heartbeat_at")
    if isinstance(text, str):
        try:
            beat_at = max(beat_at, datetime.fromisoformat(text))
        except ValueError:
            pass
    return Heartbeat(
        pid=detail.get("daemon_pid"),
        host=detail.get("host"),
        started_at=run.started_at,
        beat_at=beat_at,
        interval_s=float(detail.get("heartbeat_s") or 30.0),
    )


def source_states(session: Session) -> list[SourceState]:
    """Every source's fetch state (no item counts: cheap enough for every scrape)."""
    rows = session.execute(
        select(
            Source.name,
            Source.enabled,
            FetchState.consecutive_failures,
            FetchState.last_attempt_at,
            FetchState.next_due_at,
        )
        .outerjoin(FetchState, FetchState.source_id == Source.id)
        .order_by(Source.name)
    )
    return [
        SourceState(name, bool(enabled), int(failures or 0), attempt, due)
        for name, enabled, failures, attempt, due in rows
    ]


def crawl_totals(session: Session) -> CrawlTotals:
    by_status = {
        status: int(n)
        for status, n in session.execute(
            select(CrawlRun.status, func.count()).group_by(CrawlRun.status)
        )
    }
    sums = session.execute(
        select(
            func.coalesce(func.sum(CrawlRun.new_items), 0),
            func.coalesce(func.sum(CrawlRun.relevant_items), 0),
            func.coalesce(func.sum(CrawlRun.revised_items), 0),
            func.coalesce(func.sum(CrawlRun.copies_folded), 0),
            func.coalesce(func.sum(CrawlRun.sources_failed), 0),
            func.coalesce(func.sum(CrawlRun.errors), 0),
        )
    ).one()
    return CrawlTotals(by_status, *(int(v) for v in sums))


def delivery_counts(session: Session) -> dict[str, int]:
    """SMTP attempts by outcome (accepted, temporary, permanent, error)."""
    return {
        outcome: int(n)
        for outcome, n in session.execute(
            select(Delivery.outcome, func.count()).group_by(Delivery.outcome)
        )
    }


def digest_counts(session: Session) -> dict[str, int]:
    """Digests by status (rendered, sending, sent, failed, preview)."""
    return {
        status: int(n)
        for status, n in session.execute(
            select(Digest.status, func.count()).group_by(Digest.status)
        )
    }


def finished_jobs(session: Session, after_id: int, now: datetime) -> tuple[list[JobTiming], int]:
    """Scheduled job runs that ended, with ids above ``after_id`` and below the oldest one still
    running (the daemon's own row aside); returns them and the id to pass next time."""
    held = session.scalar(
        select(func.min(JobRun.id)).where(
            JobRun.id > after_id,
            JobRun.status == RUNNING,
            JobRun.job_id != DAEMON_JOB,
            JobRun.started_at > now - ORPHANED_AFTER,
        )
    )
    top = session.scalar(select(func.max(JobRun.id)).where(JobRun.id > after_id))
    if top is None:
        return [], after_id
    upto = int(held) - 1 if held is not None else int(top)
    rows = session.execute(
        select(JobRun.job_id, JobRun.status, JobRun.started_at, JobRun.finished_at).where(
            JobRun.id > after_id,
            JobRun.id <= upto,
            JobRun.job_id != DAEMON_JOB,
            JobRun.status != RUNNING,
        )
    )
    out = []
    for job_id, status, started, finished in rows:
        job, _, recipient = str(job_id).partition(":")
        seconds = (finished - started).total_seconds() if finished is not None else 0.0
        out.append(JobTiming(job, recipient or None, str(status), max(seconds, 0.0)))
    return out, max(upto, after_id)


def failed_fetches(session: Session, after_id: int) -> tuple[list[FailedFetch], int]:
    """Sources whose fetch failed in a crawl run, recorded after row ``after_id``; returns them
    and the id to pass next time."""
    top = session.scalar(select(func.max(CrawlRunSource.id)))
    if top is None or top <= after_id:
        return [], after_id
    rows = session.execute(
        select(CrawlRunSource.http_status, CrawlRunSource.messages).where(
            CrawlRunSource.id > after_id,
            CrawlRunSource.id <= top,
            CrawlRunSource.status == "failed",
        )
    )
    out = [FailedFetch(status, str(messages[0]) if messages else "") for status, messages in rows]
    return out, int(top)
