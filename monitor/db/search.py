"""Archive queries: full-text search with filters, item and story detail, source health, digests.

The full-text index itself (``items_fts``) is created by the initial migration and kept in sync
with ``items`` by the database (see :mod:`monitor.db.fts`), so writers need not call anything.
Searches with a query walk the index newest first (by item id, i.e. by arrival in the archive)
and stop after one page, so a common word costs the same as a rare one; result counts are exact
up to ``count_cap`` and shown as "1,000+" beyond it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session, selectinload

from monitor.db.models import Digest, FetchState, Item, ItemTag, Source, Story, StoryEvent
from monitor.query import Node
from monitor.search.compile import to_fts5, to_tsquery
from monitor.search.filters import SearchFilters
from monitor.search.records import (
    ItemRecord,
    SearchPage,
    SourceHealth,
    StoryDetail,
    StoryEventRecord,
)

log = logging.getLogger(__name__)

COUNT_CAP = 1000
_SQLITE_FTS = table("items_fts", column("rowid"))
_PG_FTS = table("items_fts", column("item_id"), column("doc"))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def item_date() -> ColumnElement[datetime]:
    """The date an item is filed under: its publication time, else when it was first seen."""
    return func.coalesce(Item.published_at, Item.first_seen_at)


# --------------------------------------------------------------------------- building queries


def _apply_filters(stmt: Select[Any], filters: SearchFilters) -> Select[Any]:
    conds: list[ColumnElement[bool]] = []
    if filters.start is not None:
        conds.append(item_date() >= filters.start)
    if filters.end is not None:
        conds.append(item_date() < filters.end)
    if filters.sources:
        conds.append(Item.source_id.in_(select(Source.id).where(Source.name.in_(filters.sources))))
    if filters.languages:
        conds.append(Item.language.in_(filters.languages))
    for kind, values in (("theme", filters.themes), ("figure", filters.figures)):
        if values:
            conds.append(
                exists().where(
                    ItemTag.item_id == Item.id, ItemTag.kind == kind, ItemTag.value.in_(values)
                )
            )
    if filters.relevance == "relevant":
        conds.append(Item.relevant.is_(True))
    elif filters.relevance == "irrelevant":
        conds.append(or_(Item.relevant.is_(False), Item.relevant.is_(None)))
    if filters.story_id is not None:
        conds.append(Item.story_id == filters.story_id)
    return stmt.where(and_(*conds)) if conds else stmt


def _id_query(
    session: Session, filters: SearchFilters, node: Node | None, *, ascending: bool = False
) -> Select[Any]:
    """``SELECT items.id …`` for the search, ordered as the filters ask (newest first by default)."""
    oldest = ascending or filters.sort == "oldest"
    if node is None:
        stmt = select(Item.id)
        order: list[Any] = [Item.id.asc() if oldest else Item.id.desc()]
    elif _dialect(session) == "postgresql":
        tsq = func.to_tsquery(literal_column("'simple'::regconfig"), to_tsquery(node))
        stmt = (
            select(Item.id)
            .join(_PG_FTS, _PG_FTS.c.item_id == Item.id)
            .where(_PG_FTS.c.doc.op("@@")(tsq))
        )
        order = [Item.id.asc() if oldest else Item.id.desc()]
        if filters.sort == "relevance" and not ascending:
            order = [func.ts_rank_cd(_PG_FTS.c.doc, tsq).desc(), Item.id.desc()]
    else:
        stmt = (
            select(Item.id)
            .select_from(_SQLITE_FTS)
            .join(Item, Item.id == _SQLITE_FTS.c.rowid)
            .where(text("items_fts MATCH :fts_query").bindparams(fts_query=to_fts5(node)))
        )
        rowid = _SQLITE_FTS.c.rowid
        order = [rowid.asc() if oldest else rowid.desc()]
        if filters.sort == "relevance" and not ascending:
            order = [text("bm25(items_fts, 4.0, 1.0)"), rowid.desc()]
    return _apply_filters(stmt, filters).order_by(*order)


def search(
    session: Session,
    filters: SearchFilters,
    *,
    page: int = 1,
    page_size: int = 25,
    count_cap: int = COUNT_CAP,
) -> SearchPage:
    """One page of items matching ``filters``; raises QuerySyntaxError for a malformed query."""
    node = filters.parsed()
    page = max(1, page)
    stmt = _id_query(session, filters, node)
    ids = list(session.scalars(stmt.limit(page_size + 1).offset((page - 1) * page_size)))
    has_next = len(ids) > page_size
    ids = ids[:page_size]
    cap = max(count_cap, page * page_size)
    counted = session.scalar(select(func.count()).select_from(stmt.limit(cap + 1).subquery())) or 0
    return SearchPage(
        records=load_records(session, ids),
        page=page,
        page_size=page_size,
        total=min(counted, cap),
        capped=counted > cap,
        has_next=has_next,
    )


def iter_records(
    session: Session, filters: SearchFilters, *, batch_size: int = 1000
) -> Iterator[ItemRecord]:
    """Every matching item, oldest first, in batches (keyset pagination on the item id)."""
    node = filters.parsed()
    last = 0
    while True:
        stmt = _id_query(session, filters, node, ascending=True).where(Item.id > last)
        ids = list(session.scalars(stmt.limit(batch_size)))
        if not ids:
            return
        yield from load_records(session, ids)
        last = ids[-1]
        session.expunge_all()


def load_records(session: Session, ids: Sequence[int]) -> list[ItemRecord]:
    """Records for ``ids``, in that order (ids not found are skipped)."""
    if not ids:
        return []
    rows = session.execute(
        select(
            Item.id,
            Item.url,
            Item.canonical_url,
            Source.name,
            Item.language,
            Item.published_at,
            Item.first_seen_at,
            Item.title,
            Item.text,
            Item.summary,
            Item.relevant,
            Item.score,
            Item.story_id,
            Item.story_role,
        )
        .join(Source, Source.id == Item.source_id)
        .where(Item.id.in_(ids))
    ).all()
    tags: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"theme": [], "figure": []})
    for item_id, kind, value in session.execute(
        select(ItemTag.item_id, ItemTag.kind, ItemTag.value)
        .where(ItemTag.item_id.in_(ids))
        .order_by(ItemTag.value)
    ):
        tags[item_id].setdefault(kind, []).append(value)
    by_id = {
        r.id: ItemRecord(
            id=r.id,
            url=r.url,
            canonical_url=r.canonical_url,
            source=r.name,
            language=r.language,
            published_at=r.published_at,
            first_seen_at=r.first_seen_at,
            title=r.title,
            text=r.text or r.summary,
            relevant=bool(r.relevant),
            score=r.score,
            themes=tuple(tags[r.id]["theme"]) if r.id in tags else (),
            figures=tuple(tags[r.id]["figure"]) if r.id in tags else (),
            story=r.story_id,
            story_role=r.story_role,
        )
        for r in rows
    }
    return [by_id[i] for i in ids if i in by_id]


# --------------------------------------------------------------------------- detail pages


def get_item(session: Session, item_id: int) -> Item | None:
    """The item with its source and tags loaded."""
    return session.scalars(
        select(Item)
        .where(Item.id == item_id)
        .options(selectinload(Item.source), selectinload(Item.tags))
    ).first()


def get_record(session: Session, item_id: int) -> ItemRecord | None:
    found = load_records(session, [item_id])
    return found[0] if found else None


def get_story(session: Session, story_id: int) -> StoryDetail | None:
    """A story: its lead, copies, related reports and the timeline of how it grew."""
    story = session.get(Story, story_id)
    if story is None:
        return None
    ids = list(
        session.scalars(
            select(Item.id).where(Item.story_id == story_id).order_by(Item.first_seen_at, Item.id)
        )
    )
    records = load_records(session, ids)
    lead = next((r for r in records if r.id == story.lead_item_id), None) or next(
        (r for r in records if r.story_role == "lead"), None
    )
    events = [
        StoryEventRecord(
            at=ev.created_at,
            item_id=ev.item_id,
            item_title=title,
            signal=ev.signal,
            role=ev.role,
            similarity=ev.similarity,
            undone=ev.undone_at is not None,
        )
        for ev, title in session.execute(
            select(StoryEvent, Item.title)
            .join(Item, Item.id == StoryEvent.item_id)
            .where(StoryEvent.story_id == story_id)
            .order_by(StoryEvent.created_at, StoryEvent.id)
        )
    ]
    return StoryDetail(
        id=story.id,
        title=story.title or (lead.title if lead else ""),
        first_seen_at=story.first_seen_at,
        last_item_at=story.last_item_at,
        item_count=story.item_count or len(records),
        source_count=story.source_count or len({r.source for r in records}),
        lead=lead,
        copies=[r for r in records if r.story_role == "copy" and r is not lead],
        related=[r for r in records if r.story_role == "related" and r is not lead],
        events=events,
    )


def recent_stories(session: Session, limit: int = 10) -> list[Story]:
    return list(session.scalars(select(Story).order_by(Story.last_item_at.desc()).limit(limit)))


# --------------------------------------------------------------------------- sources, digests


def source_health(session: Session) -> list[SourceHealth]:
    """Every source with its fetch state and item counts."""
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
    out = []
    rows = session.execute(
        select(Source, FetchState)
        .outerjoin(FetchState, FetchState.source_id == Source.id)
        .order_by(Source.name)
    )
    for src, state in rows:
        n, rel, last = counts.get(src.id, (0, 0, None))
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
                consecutive_failures=state.consecutive_failures if state else 0,
                next_due_at=state.next_due_at if state else None,
            )
        )
    return out


def list_digests(session: Session, limit: int = 100) -> list[Digest]:
    return list(
        session.scalars(
            select(Digest).order_by(Digest.created_at.desc(), Digest.id.desc()).limit(limit)
        )
    )


def get_digest(session: Session, digest_id: int) -> Digest | None:
    return session.get(Digest, digest_id)


# --------------------------------------------------------------------------- overview


def daily_theme_counts(
    session: Session, *, days: int = 30, today: date | None = None
) -> dict[str, dict[date, int]]:
    """Relevant items per day (UTC) per theme over the last ``days`` days."""
    today = today or datetime.now(UTC).date()
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), UTC)
    when = item_date()
    if _dialect(session) == "postgresql":
        day = func.to_char(func.timezone("UTC", when), "YYYY-MM-DD")
    else:
        day = func.strftime("%Y-%m-%d", when)
    rows = session.execute(
        select(day, ItemTag.value, func.count())
        .join(ItemTag, and_(ItemTag.item_id == Item.id, ItemTag.kind == "theme"))
        .where(
            Item.relevant.is_(True), Item.first_seen_at >= start - timedelta(days=7), when >= start
        )
        .group_by(day, ItemTag.value)
    )
    out: dict[str, dict[date, int]] = defaultdict(dict)
    for day_text, theme, n in rows:
        out[theme][date.fromisoformat(day_text)] = n
    return dict(out)


def archive_totals(session: Session) -> dict[str, int]:
    return {
        "items": session.scalar(select(func.count()).select_from(Item)) or 0,
        "relevant": session.scalar(select(func.count()).where(Item.relevant.is_(True))) or 0,
        "stories": session.scalar(select(func.count()).select_from(Story)) or 0,
        "sources": session.scalar(select(func.count()).select_from(Source)) or 0,
    }


def facet_values(session: Session) -> dict[str, list[str]]:
    """Choices for the filter form: source names, languages, themes and key figures."""
    tags: dict[str, list[str]] = {"theme": [], "figure": []}
    for kind, value in session.execute(
        select(ItemTag.kind, ItemTag.value).distinct().order_by(ItemTag.kind, ItemTag.value)
    ):
        tags.setdefault(kind, []).append(value)
    return {
        "sources": list(session.scalars(select(Source.name).order_by(Source.name))),
        "languages": [
            lang
            for lang in session.scalars(select(Item.language).distinct().order_by(Item.language))
            if lang
        ],
        "themes": tags["theme"],
        "figures": tags["figure"],
    }


# --------------------------------------------------------------------------- maintenance


def rebuild_index(session: Session) -> int:
    """Rebuild the full-text index from ``items`` (after a restore or a change of folding)."""
    if _dialect(session) == "postgresql":
        session.execute(text("DELETE FROM items_fts"))
        session.execute(text("UPDATE items SET title = title"))
    else:
        session.execute(text("INSERT INTO items_fts(items_fts) VALUES ('delete-all')"))
        session.execute(
            text(
                "INSERT INTO items_fts(rowid, title, body) SELECT id, monitor_fold(title), "
                "monitor_fold(CASE WHEN text <> '' THEN text ELSE summary END) FROM items"
            )
        )
    n = session.scalar(select(func.count()).select_from(Item)) or 0
    log.info("Rebuilt full-text index items=%s", n)
    return n
