"""Reading sources: the source list, every source's health, and a crawl run's per-source outcomes."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from monitor.config import SourceConfig
from monitor.db.models import CrawlRunSource, FetchState, Item, Source
from monitor.db.sources import to_config
from monitor.records import SourceHealth, SourceOutcome


def list_sources(session: Session, *, enabled_only: bool = False) -> list[SourceConfig]:
    """Every source (or every enabled one) as its configuration record, by name."""
    stmt = select(Source).order_by(Source.name)
    if enabled_only:
        stmt = stmt.where(Source.enabled.is_(True))
    return [to_config(s) for s in session.scalars(stmt)]


def source_names(session: Session) -> set[str]:
    """The name of every source, enabled or not."""
    return set(session.scalars(select(Source.name)))


def has_source(session: Session, name: str) -> bool:
    return session.scalar(select(Source.id).where(Source.name == name)) is not None


def has_source_url(session: Session, url: str) -> bool:
    return session.scalar(select(Source.id).where(Source.url == url).limit(1)) is not None


def source_item_count(session: Session, name: str) -> int | None:
    """How many items the named source has in the archive; None when there is no such source."""
    source_id = session.scalar(select(Source.id).where(Source.name == name))
    if source_id is None:
        return None
    return session.scalar(select(func.count()).where(Item.source_id == source_id)) or 0


def source_health(session: Session) -> list[SourceHealth]:
    """Every source with its fetch state and item counts, by name."""
    counts = {
        sid: (n, rel or 0, last)
        for sid, n, rel, last in session.execute(
            select(
                Item.source_id,
                func.count(),
                func.sum(case((Item.relevant.is_(True), 1), else_=0)),
                func.max(Item.first_seen_at),
            ).group_by(Item.source_id)
        )
    }
    last_runs = last_run_outcomes(session)
    out = []
    rows = session.execute(
        select(Source, FetchState)
        .outerjoin(FetchState, FetchState.source_id == Source.id)
        .order_by(Source.name)
    )
    for src, state in rows:
        n, rel, last = counts.get(src.id, (0, 0, None))
        run_status, run_note = last_runs.get(src.id, (None, None))
        out.append(
            SourceHealth(
                id=src.id,
                name=src.name,
                url=src.url,
                kind=src.kind,
                language=src.language,
                enabled=src.enabled,
                items=n,
                relevant_items=int(rel),
                last_item_at=last,
                last_attempt_at=state.last_attempt_at if state else None,
                last_success_at=state.last_success_at if state else None,
                last_status=state.last_status if state else None,
                last_error=state.last_error if state else None,
                last_error_at=state.last_error_at if state else None,
                consecutive_failures=(state.consecutive_failures or 0) if state else 0,
                next_due_at=state.next_due_at if state else None,
                retry_after_until=state.retry_after_until if state else None,
                last_run_status=run_status,
                last_run_note=run_note,
            )
        )
    return out


PARTIAL_PREFIX = "partial: "


def last_run_outcomes(session: Session) -> dict[int, tuple[str, str | None]]:
    """Per source, the status of the last crawl run that reached it and, when ``partial``, what
    fell short (the first message of its run row, without the ``partial:`` prefix)."""
    latest = (
        select(func.max(CrawlRunSource.id))
        .where(CrawlRunSource.status != "skipped")
        .group_by(CrawlRunSource.source_id)
    )
    out: dict[int, tuple[str, str | None]] = {}
    rows = session.execute(
        select(CrawlRunSource.source_id, CrawlRunSource.status, CrawlRunSource.messages).where(
            CrawlRunSource.id.in_(latest)
        )
    )
    for source_id, status, messages in rows:
        first = (messages or [None])[0]
        note = None
        if status == "partial" and isinstance(first, str) and first.startswith(PARTIAL_PREFIX):
            note = first.removeprefix(PARTIAL_PREFIX)
        out[source_id] = (status, note)
    return out


def run_outcomes(session: Session, run_id: int) -> list[SourceOutcome]:
    """What each source did in crawl run ``run_id``, by source name."""
    stmt = (
        select(CrawlRunSource, Source.name)
        .join(Source, Source.id == CrawlRunSource.source_id)
        .where(CrawlRunSource.run_id == run_id)
        .order_by(Source.name)
    )
    return [
        SourceOutcome(
            source_id=row.source_id,
            name=name,
            status=row.status,
            http_status=row.http_status,
            fetched=row.fetched,
            new_items=row.new_items,
            known_items=row.known_items,
            errors=row.errors,
            messages=tuple(row.messages or ()),
            duration_s=row.duration_s,
        )
        for row, name in session.execute(stmt)
    ]
