"""Reading items: full-text search with filters, the export stream, one item's detail, facets.

The full-text index itself (``items_fts``) is created by the initial migration and kept in sync
with ``items`` by the database (see :mod:`monitor.db.fts`), so writers need not call anything.
Searches with a query walk the index newest first (by item id, i.e. by arrival in the archive)
and stop after one page, so a common word costs the same as a rare one; result counts are exact
up to ``count_cap`` and shown as "1,000+" beyond it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from monitor.db.models import Item, ItemTag, Source, Story
from monitor.query import Node
from monitor.records import ItemDetail, ItemRecord, SearchPage, TagRecord
from monitor.search.compile import to_fts5, to_tsquery
from monitor.search.filters import SearchFilters

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


# --------------------------------------------------------------------------- one item


def get_record(session: Session, item_id: int) -> ItemRecord | None:
    found = load_records(session, [item_id])
    return found[0] if found else None


def item_detail(session: Session, item_id: int) -> ItemDetail | None:
    """The item's record plus its summary, explanation, tags and story title."""
    record = get_record(session, item_id)
    if record is None:
        return None
    row = session.execute(
        select(Item.summary, Item.explanation, Item.declared_language, Source.language)
        .join(Source, Source.id == Item.source_id)
        .where(Item.id == item_id)
    ).one()
    tags = tuple(
        TagRecord(kind, value, list(evidence or []))
        for kind, value, evidence in session.execute(
            select(ItemTag.kind, ItemTag.value, ItemTag.evidence)
            .where(ItemTag.item_id == item_id)
            .order_by(ItemTag.id)
        )
    )
    story_title = None
    if record.story is not None:
        titles = session.execute(
            select(Story.title, Item.title)
            .outerjoin(Item, Item.id == Story.lead_item_id)
            .where(Story.id == record.story)
        ).first()
        story_title = (titles[0] or titles[1] or "") if titles else None
    return ItemDetail(
        record=record,
        summary=row.summary or "",
        explanation=row.explanation,
        declared_language=row.declared_language if row.declared_language is not None else row[3],
        tags=tags,
        story_title=story_title,
    )


def find_item(session: Session, ref: str) -> ItemDetail | None:
    """An item by id, URL or canonical URL (the newest one with that URL)."""
    if ref.isdigit():
        return item_detail(session, int(ref))
    item_id = session.scalar(
        select(Item.id)
        .where(or_(Item.url == ref, Item.canonical_url == ref))
        .order_by(Item.id.desc())
        .limit(1)
    )
    return item_detail(session, item_id) if item_id is not None else None


# --------------------------------------------------------------------------- facets


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


def matching_ids(session: Session, node: Node, item_ids: Sequence[int]) -> set[int]:
    """Which of ``item_ids`` match the parsed query ``node`` (the archive search's own rules:
    the same index, stems and operators as ``monitor search``)."""
    out: set[int] = set()
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stmt = _id_query(session, SearchFilters(relevance="all"), node).where(Item.id.in_(chunk))
        out.update(session.scalars(stmt.order_by(None)))
    return out
