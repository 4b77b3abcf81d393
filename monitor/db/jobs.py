"""Queries of the scheduler: job runs, due-time bookkeeping, crawl guards, health and upkeep.

``job_runs`` records every start and end of a scheduled job (``monitor status`` reads it);
``recipient_state.last_due_at`` is the scheduler's claim on a recipient's due time (compare and
set, so two daemons, or a daemon and a restart of itself, never both run the same due digest).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, inspect, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.db.models import (
    CrawlRun,
    Digest,
    DigestItem,
    Item,
    JobRun,
    RecipientState,
)

RUNNING = "running"
DAEMON_JOB = "daemon"


# --------------------------------------------------------------------------- processes


def process_start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux ``/proc``), None if unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    # field 22 counts from 1; the command name (field 2) may contain spaces, so split after ')'
    rest = stat.rpartition(")")[2].split()
    try:
        return int(rest[19])
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int | None, start_ticks: int | None = None) -> bool:
    """Whether ``pid`` runs here (and, when ``start_ticks`` is given, is the same process)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if start_ticks is not None:
        now_ticks = process_start_ticks(pid)
        if now_ticks is not None and now_ticks != start_ticks:
            return False
    # a zombie still answers kill(0); treat it as gone
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rpartition(")")[2].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


# --------------------------------------------------------------------------- job runs


def start_job_run(session: Session, job_id: str, at: datetime, detail: dict[str, Any]) -> int:
    run = JobRun(job_id=job_id, started_at=at, status=RUNNING, detail=dict(detail))
    session.add(run)
    session.flush()
    return run.id


def finish_job_run(
    session: Session, run_id: int, status: str, at: datetime, detail: dict[str, Any]
) -> None:
    run = session.get(JobRun, run_id)
    if run is None:
        return
    run.status = status
    run.finished_at = at
    run.detail = {**(run.detail or {}), **detail}


def beat_job_run(session: Session, run_id: int, at: datetime) -> None:
    """Record that the (daemon's) run ``run_id`` is alive at ``at`` (``detail.heartbeat_at``)."""
    run = session.get(JobRun, run_id)
    if run is not None:
        run.detail = {**(run.detail or {}), "heartbeat_at": at.isoformat()}


def latest_job_runs(session: Session) -> dict[str, JobRun]:
    """The newest run of every job id."""
    newest = (
        select(JobRun.job_id, func.max(JobRun.id).label("id")).group_by(JobRun.job_id).subquery()
    )
    rows = session.scalars(select(JobRun).join(newest, JobRun.id == newest.c.id))
    return {r.job_id: r for r in rows}


def latest_job_run(
    session: Session, job_id: str, statuses: Sequence[str] | None = None
) -> JobRun | None:
    stmt = select(JobRun).where(JobRun.job_id == job_id)
    if statuses is not None:
        stmt = stmt.where(JobRun.status.in_(list(statuses)))
    return session.scalars(stmt.order_by(JobRun.id.desc()).limit(1)).first()


def running_daemons(session: Session) -> list[JobRun]:
    stmt = select(JobRun).where(JobRun.job_id == DAEMON_JOB, JobRun.status == RUNNING)
    return list(session.scalars(stmt.order_by(JobRun.id)))


def close_orphaned_job_runs(session: Session, at: datetime, alive: Callable[[JobRun], bool]) -> int:
    """Mark ``running`` job rows whose daemon is gone as ``aborted``; returns how many."""
    count = 0
    for run in session.scalars(select(JobRun).where(JobRun.status == RUNNING)):
        if not alive(run):
            run.status = "aborted"
            run.finished_at = at
            run.detail = {
                **(run.detail or {}),
                "message": "the daemon stopped before the job ended",
            }
            count += 1
    return count


def prune_job_runs(session: Session, before: datetime) -> int:
    """Delete finished job rows older than ``before`` (the newest of every job is kept)."""
    keep = select(func.max(JobRun.id)).group_by(JobRun.job_id)
    result = session.execute(
        delete(JobRun).where(
            JobRun.started_at < before, JobRun.status != RUNNING, JobRun.id.not_in(keep)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- due-time claims


def recipient_last_due(session: Session, recipient: str) -> datetime | None:
    state = session.get(RecipientState, recipient)
    return state.last_due_at if state else None


def claim_due(session: Session, recipient: str, due: datetime) -> bool:
    """Set ``last_due_at = due`` if it is older (or unset); True when this caller won the claim."""
    result = session.execute(
        update(RecipientState)
        .where(
            RecipientState.recipient == recipient,
            or_(RecipientState.last_due_at.is_(None), RecipientState.last_due_at < due),
        )
        .values(last_due_at=due)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 1:
        return True
    if session.get(RecipientState, recipient) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(RecipientState(recipient=recipient, last_due_at=due))
    except IntegrityError:  # created concurrently; the other side decides
        return False
    return True


def release_due(session: Session, recipient: str, due: datetime, previous: datetime | None) -> bool:
    """Undo a claim (the run failed) unless someone has moved ``last_due_at`` on since."""
    result = session.execute(
        update(RecipientState)
        .where(RecipientState.recipient == recipient, RecipientState.last_due_at == due)
        .values(last_due_at=previous)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


# --------------------------------------------------------------------------- crawl runs


def running_crawl_runs(session: Session) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).where(CrawlRun.status == RUNNING)))


def close_crawl_runs(
    session: Session,
    *,
    status: str,
    at: datetime,
    message: str,
    pid: int | None = None,
    run_ids: Sequence[int] | None = None,
    host: str | None = None,
) -> list[int]:
    """Mark ``running`` crawl runs (of ``pid`` or with these ids; ``host``: only the runs
    recorded on this host) as ended; returns their ids."""
    stmt = select(CrawlRun).where(CrawlRun.status == RUNNING)
    if pid is not None:
        stmt = stmt.where(CrawlRun.pid == pid)
    if run_ids is not None:
        stmt = stmt.where(CrawlRun.id.in_(list(run_ids)))
    closed = []
    for run in session.scalars(stmt):
        if host is not None and ((run.options or {}).get("process") or {}).get("host") != host:
            continue
        run.status = status
        run.finished_at = at
        run.message = f"{run.message}\n{message}".strip() if run.message else message
        closed.append(run.id)
    return closed


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class RecipientBacklog:
    last_delivered_at: datetime | None
    last_due_at: datetime | None
    unsent_relevant_items: int  # relevant items since tracking began, not in a sent digest
    unfinished_digests: int  # rendered / sending / failed digests


def recipient_backlog(session: Session, recipient: str) -> RecipientBacklog:
    """What is waiting for ``recipient`` (ignores its filters: an upper bound)."""
    state = session.get(RecipientState, recipient)
    sent = exists(
        select(DigestItem.id)
        .join(Digest, Digest.id == DigestItem.digest_id)
        .where(
            DigestItem.item_id == Item.id, Digest.recipient == recipient, Digest.status == "sent"
        )
    )
    conditions = [Item.relevant.is_(True), ~sent]
    since = state.tracking_since if state else None
    if since is not None:
        conditions.append(Item.first_seen_at >= since)
    unsent = session.scalar(select(func.count(Item.id)).where(and_(*conditions))) or 0
    unfinished = (
        session.scalar(
            select(func.count(Digest.id)).where(
                Digest.recipient == recipient,
                Digest.status.in_(["rendered", "sending", "failed"]),
            )
        )
        or 0
    )
    return RecipientBacklog(
        last_delivered_at=state.last_delivered_at if state else None,
        last_due_at=state.last_due_at if state else None,
        unsent_relevant_items=unsent,
        unfinished_digests=unfinished,
    )


# --------------------------------------------------------------------------- upkeep


def delete_irrelevant_items(session: Session, before: datetime, batch: int = 500) -> int:
    """Delete one batch of irrelevant items first seen before ``before``; returns how many.

    Items carried by a digest or belonging to a story are kept. Callers loop (one transaction
    per batch) until it returns less than ``batch``.
    """
    in_digest = exists(select(DigestItem.id).where(DigestItem.item_id == Item.id))
    ids = list(
        session.scalars(
            select(Item.id)
            .where(
                Item.relevant.is_(False),
                Item.first_seen_at < before,
                Item.story_id.is_(None),
                ~in_digest,
            )
            .order_by(Item.id)
            .limit(batch)
        )
    )
    if not ids:
        return 0
    session.execute(
        delete(Item).where(Item.id.in_(ids)).execution_options(synchronize_session=False)
    )
    return len(ids)


def has_table(conn: Connection, name: str) -> bool:
    return name in inspect(conn).get_table_names()


def sqlite_pragma(conn: Connection, pragma: str) -> Any:
    """Run ``PRAGMA <pragma>`` (a fixed statement from this module's callers) and return row 1."""
    row = conn.execute(text(f"PRAGMA {pragma}")).first()
    return row[0] if row else None


def sqlite_fts_optimize(conn: Connection) -> None:
    conn.execute(text("INSERT INTO items_fts(items_fts) VALUES ('optimize')"))


def sqlite_vacuum(conn: Connection) -> None:
    conn.execute(text("VACUUM"))


def postgres_analyze(conn: Connection) -> None:
    conn.execute(text("ANALYZE"))


def oldest_allowed(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
