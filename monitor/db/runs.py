"""Crawl runs and per-source fetch state: which sources are due, recording what each run did.

Reading a run's per-source outcomes and source health is the read layer's job
(:mod:`monitor.db.read.sources`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitor.db.models import CrawlRun, CrawlRunSource, FetchState, Source
from monitor.records import SourceOutcome


def select_sources(
    session: Session,
    *,
    names: Sequence[str] | None = None,
    ids: Sequence[int] | None = None,
    due_only: bool = False,
    now: datetime,
) -> list[tuple[Source, FetchState | None]]:
    """Enabled sources (or exactly the named ones; ``ids``: the enabled ones among these),
    optionally only those due at ``now``."""
    stmt = select(Source, FetchState).outerjoin(FetchState, FetchState.source_id == Source.id)
    if names:
        stmt = stmt.where(Source.name.in_(list(names)))
    else:
        if ids is not None:
            stmt = stmt.where(Source.id.in_(list(ids)))
        stmt = stmt.where(Source.enabled.is_(True))
    if due_only:
        stmt = stmt.where(
            or_(FetchState.next_due_at.is_(None), FetchState.next_due_at <= now),
            or_(FetchState.retry_after_until.is_(None), FetchState.retry_after_until <= now),
        )
    stmt = stmt.order_by(Source.name)
    return [(row[0], row[1]) for row in session.execute(stmt)]


def fetch_state(session: Session, source_id: int) -> FetchState:
    """The source's fetch state row, created on first use."""
    state = session.get(FetchState, source_id)
    if state is None:
        state = FetchState(source_id=source_id, consecutive_failures=0)
        session.add(state)
        session.flush()
    return state


def start_run(
    session: Session,
    *,
    trigger: str,
    options: dict[str, Any],
    sources_total: int,
    pid: int,
    now: datetime,
) -> CrawlRun:
    run = CrawlRun(
        started_at=now,
        status="running",
        trigger=trigger,
        pid=pid,
        options=options,
        sources_total=sources_total,
    )
    session.add(run)
    session.flush()
    return run


def record_run_source(session: Session, run_id: int, row: SourceOutcome) -> None:
    session.add(
        CrawlRunSource(
            run_id=run_id,
            source_id=row.source_id,
            status=row.status,
            http_status=row.http_status,
            fetched=row.fetched,
            new_items=row.new_items,
            known_items=row.known_items,
            errors=row.errors,
            messages=list(row.messages),
            duration_s=row.duration_s,
        )
    )


def finish_run(session: Session, run_id: int, **values: Any) -> None:
    run = session.get(CrawlRun, run_id)
    if run is None:
        return
    for key, value in values.items():
        setattr(run, key, value)


def last_attempts(session: Session, source_ids: Sequence[int]) -> dict[int, datetime]:
    """source id → when it was last fetched, for those of ``source_ids`` fetched ever."""
    if not source_ids:
        return {}
    stmt = select(FetchState.source_id, FetchState.last_attempt_at).where(
        FetchState.source_id.in_(list(source_ids)), FetchState.last_attempt_at.is_not(None)
    )
    return {int(sid): at for sid, at in session.execute(stmt) if at is not None}
