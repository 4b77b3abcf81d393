"""Reading items: full-text search with filters, the export stream, one item's detail, facets.

The full-text index itself (``items_fts``) is created by the initial migration and kept in sync
with ``items`` by the database (see :mod:`monitor.db.fts`), so writers need not call anything.
Results sort on ``items.sort_at`` (publication when plausible, else first seen; a column the
database computes). A text search on SQLite walks the index newest first by arrival and gives
results out in sort order as soon as nothing unread can come before them
(:func:`_newest_by_arrival_walk`), so a common word costs about what a rare one does. Field
operators outside the text index (``source:``, ``lang:``, tags) become SQL conditions. Counts are
exact up to ``count_cap`` and shown as "1,000+" beyond it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    column,
    exists,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session

from monitor.db.models import Item, ItemTag, Source, Story
from monitor.errors import QuerySyntaxError
from monitor.explanation import read_stored
from monitor.query import And, Field, Node, Not, Or, is_positive
from monitor.records import (
    GroupedPage,
    ItemDetail,
    ItemRecord,
    SearchGroup,
    SearchPage,
    StorySummary,
    TagRecord,
)
from monitor.search.compile import has_meta, split_query, to_fts5, to_tsquery
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


def _name_like(column: Any, value: str) -> ColumnElement[bool]:
    """A stored name matching a field value: starts with it or has a word starting with it
    (ignoring case; :func:`monitor.query.name_matches` says the same in Python)."""
    v = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(column.ilike(v + "%", escape="\\"), column.ilike("% " + v + "%", escape="\\"))


def _tag_filter(kind: str, values: Sequence[str]) -> ColumnElement[bool]:
    return exists().where(
        ItemTag.item_id == Item.id, ItemTag.kind == kind, ItemTag.value.in_(values)
    )


def _filter_conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if filters.start is not None:
        conds.append(item_date() >= filters.start)
    if filters.end is not None:
        conds.append(item_date() < filters.end)
    if filters.sources:
        conds.append(Item.source_id.in_(select(Source.id).where(Source.name.in_(filters.sources))))
    if filters.languages:
        conds.append(Item.language.in_(filters.languages))
    for kind, values in (
        ("theme", filters.themes),
        ("figure", filters.figures),
        ("entity", filters.entities),
    ):
        if values:
            conds.append(_tag_filter(kind, values))
    if filters.relevance == "relevant":
        conds.append(Item.relevant.is_(True))
    elif filters.relevance == "irrelevant":
        conds.append(or_(Item.relevant.is_(False), Item.relevant.is_(None)))
    if filters.story_id is not None:
        conds.append(Item.story_id == filters.story_id)
    return conds


def _apply_filters(stmt: Select[Any], filters: SearchFilters) -> Select[Any]:
    conds = _filter_conditions(filters)
    return stmt.where(and_(*conds)) if conds else stmt


def _match(session: Session, node: Node) -> ColumnElement[bool]:
    """The text-index condition for ``node`` (the index table must be in the FROM clause)."""
    if _dialect(session) == "postgresql":
        tsq = func.to_tsquery(literal_column("'simple'::regconfig"), to_tsquery(node))
        return _PG_FTS.c.doc.op("@@")(tsq)
    return literal_column("items_fts").op("MATCH")(to_fts5(node))


def _text_ids(session: Session, node: Node) -> Select[Any]:
    """``SELECT`` the ids of items whose text matches ``node``."""
    key = _PG_FTS.c.item_id if _dialect(session) == "postgresql" else _SQLITE_FTS.c.rowid
    return select(key).where(_match(session, node))


def _field_condition(node: Field) -> ColumnElement[bool]:
    if node.name == "lang":
        return func.lower(Item.language) == node.value.lower()
    if node.name == "source":
        return Item.source_id.in_(select(Source.id).where(_name_like(Source.name, node.value)))
    return exists().where(
        ItemTag.item_id == Item.id, ItemTag.kind == node.name, _name_like(ItemTag.value, node.value)
    )


def _condition(session: Session, node: Node) -> ColumnElement[bool]:
    """Any query node as an SQL condition on ``items`` (text parts as index subqueries)."""
    if isinstance(node, Field) and node.inner is None:
        return _field_condition(node)
    if not has_meta(node) and is_positive(node):
        return Item.id.in_(_text_ids(session, node))
    if isinstance(node, Not):
        return not_(_condition(session, node.child))
    if isinstance(node, And):
        text_part, rest = split_query(node)
        parts = [_condition(session, c) for c in rest]
        if text_part is not None:
            parts.insert(0, Item.id.in_(_text_ids(session, text_part)))
        return and_(*parts)
    if isinstance(node, Or):
        return or_(*(_condition(session, c) for c in node.children))
    raise QuerySyntaxError("nothing to search for", 0)  # pragma: no cover - parser refuses it


@dataclass(frozen=True)
class _Query:
    """A search taken apart: the text part (one index query) and every other condition."""

    text: Node | None
    conditions: tuple[ColumnElement[bool], ...]

    @classmethod
    def build(cls, session: Session, filters: SearchFilters, node: Node | None) -> _Query:
        text_part, rest = split_query(node)
        conds = _filter_conditions(filters) + [_condition(session, c) for c in rest]
        return cls(text_part, tuple(conds))


def _select(session: Session, q: _Query, *columns: Any) -> Select[Any]:
    """``SELECT columns`` of the matching items (joined with the text index when searching)."""
    if q.text is None:
        stmt = select(*columns)
    elif _dialect(session) == "postgresql":
        stmt = select(*columns).join(_PG_FTS, _PG_FTS.c.item_id == Item.id)
    else:
        stmt = select(*columns).select_from(_SQLITE_FTS).join(Item, Item.id == _SQLITE_FTS.c.rowid)
    if q.text is not None:
        stmt = stmt.where(_match(session, q.text))
    return stmt.where(*q.conditions) if q.conditions else stmt


# --------------------------------------------------------------------------- the ordered stream


class Hit(NamedTuple):
    id: int
    sort_at: datetime
    story_id: int | None


_HIT_COLUMNS = (Item.id, Item.sort_at, Item.story_id)
FIRST_CHUNK = 200
MAX_CHUNK = 5000
# An item's sort time is at most this much later than its first-seen time: a plausible date is
# never more than a day ahead of the fetch (see monitor.collect.dates), and a margin.
SORT_SKEW = timedelta(days=2)


@dataclass
class WalkCount:
    """What a walk learnt on the way: the number of matches (from its first chunk) and every
    match it read, which is every match with an id of ``low`` or more (0: all of them)."""

    rows: int = 0
    complete: bool = False  # every match was in the first chunk
    read: set[int] = field(default_factory=set)
    low: int | None = None  # None: the walk told nothing


def _newest_by_arrival_walk(
    session: Session, q: _Query, count: WalkCount | None = None
) -> Iterator[Hit]:
    """SQLite with a text query: newest first by sort time, exactly, without sorting every match.

    The index gives matches newest first by item id (arrival), cheaply and lazily. Items are
    numbered in arrival order, and an item sorts at most :data:`SORT_SKEW` after it arrived, so
    once the walk reaches items that arrived at time *t*, everything still unread sorts before
    *t* + SORT_SKEW: the matches held back that sort after that are final and can be given out.
    A common word stops after a few hundred rows; a rare one reads its few matches.

    Times are read as SQLite stores them (ISO text, which sorts like the times) and parsed only
    for the hits given out."""
    rowid = _SQLITE_FTS.c.rowid
    base = _select(
        session,
        q,
        Item.id,
        type_coerce(Item.sort_at, String).label("sort_at"),
        Item.story_id,
        type_coerce(Item.first_seen_at, String).label("first_seen_at"),
    )
    held: list[tuple[str, int, int | None]] = []  # (sort time as text, id, story id)
    cursor: int | None = None
    chunk = COUNT_CAP + 1  # the first chunk also counts the matches up to the cap
    while True:
        stmt = base if cursor is None else base.where(rowid < cursor)
        rows = session.execute(stmt.order_by(rowid.desc()).limit(chunk)).all()
        held.extend((r[1], r[0], r[2]) for r in rows)
        done = len(rows) < chunk
        if count is not None:
            if cursor is None:
                count.rows, count.complete = len(rows), done
            count.read.update(r[0] for r in rows)
            count.low = 0 if done else rows[-1][0]
        held.sort()
        if done:
            final, held = held, []
        else:
            last_seen = _sqlite_time(rows[-1][3])
            bound = (last_seen + SORT_SKEW).strftime("%Y-%m-%d %H:%M:%S.%f")
            cut = bisect_left(held, (bound,))
            final, held = held[cut:], held[:cut]
        for sort_at, item_id, story_id in reversed(final):
            yield Hit(item_id, _sqlite_time(sort_at), story_id)
        if done:
            return
        cursor = rows[-1][0]
        chunk = min(chunk * 2, MAX_CHUNK)


def _sqlite_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _keyset(session: Session, q: _Query, *, newest: bool) -> Iterator[Hit]:
    """Every match ordered by (sort time, id), read in growing chunks (keyset pagination)."""
    base = _select(session, q, *_HIT_COLUMNS)
    order: list[Any] = (
        [Item.sort_at.desc(), Item.id.desc()] if newest else [Item.sort_at.asc(), Item.id.asc()]
    )
    last: Hit | None = None
    chunk = FIRST_CHUNK
    while True:
        stmt = base
        if last is not None:
            if newest:
                after = or_(
                    Item.sort_at < last.sort_at,
                    and_(Item.sort_at == last.sort_at, Item.id < last.id),
                )
            else:
                after = or_(
                    Item.sort_at > last.sort_at,
                    and_(Item.sort_at == last.sort_at, Item.id > last.id),
                )
            stmt = stmt.where(after)
        rows = session.execute(stmt.order_by(*order).limit(chunk)).all()
        for r in rows:
            last = Hit(r.id, r.sort_at, r.story_id)
            yield last
        if len(rows) < chunk:
            return
        chunk = min(chunk * 2, MAX_CHUNK)


def _by_rank(session: Session, q: _Query) -> Iterator[Hit]:
    """Best text match first (BM25 on SQLite with the title weighted 4:1, ts_rank_cd on
    PostgreSQL), newest first among equals."""
    assert q.text is not None
    if _dialect(session) == "postgresql":
        tsq = func.to_tsquery(literal_column("'simple'::regconfig"), to_tsquery(q.text))
        order: list[Any] = [
            func.ts_rank_cd(_PG_FTS.c.doc, tsq).desc(),
            Item.sort_at.desc(),
            Item.id.desc(),
        ]
    else:
        order = [text("bm25(items_fts, 4.0, 1.0)"), Item.sort_at.desc(), Item.id.desc()]
    base = _select(session, q, *_HIT_COLUMNS).order_by(*order)
    offset, chunk = 0, FIRST_CHUNK
    while True:
        rows = session.execute(base.offset(offset).limit(chunk)).all()
        yield from (Hit(r.id, r.sort_at, r.story_id) for r in rows)
        if len(rows) < chunk:
            return
        offset += chunk
        chunk = min(chunk * 2, MAX_CHUNK)


def iter_hits(
    session: Session,
    filters: SearchFilters,
    node: Node | None = None,
    *,
    count: WalkCount | None = None,
) -> Iterator[Hit]:
    """The matching items in the order ``filters.sort`` asks for: ``newest`` / ``oldest`` by
    sort time (publication when plausible, else first seen), ``relevance`` by text rank.
    ``node``: the query to run (default: ``filters.parsed()``; callers pass an expanded one).
    ``count``: filled with the number of matches up to the count cap when the walk learns it."""
    if node is None:
        node = filters.parsed()
    q = _Query.build(session, filters, node)
    if filters.sort == "relevance" and q.text is not None:
        return _by_rank(session, q)
    newest = filters.sort != "oldest"
    if newest and q.text is not None and _dialect(session) == "sqlite":
        return _newest_by_arrival_walk(session, q, count)
    return _keyset(session, q, newest=newest)


def _total(
    session: Session,
    filters: SearchFilters,
    node: Node | None,
    walked: WalkCount,
    cap: int,
) -> tuple[int, bool]:
    if (walked.rows or walked.complete) and cap <= COUNT_CAP:
        return min(walked.rows, cap), not walked.complete and walked.rows > cap
    return count_matches(session, filters, node, cap=cap)


def count_matches(
    session: Session, filters: SearchFilters, node: Node | None, *, cap: int = COUNT_CAP
) -> tuple[int, bool]:
    """How many items match, exactly up to ``cap``: ``(count, capped)``."""
    q = _Query.build(session, filters, node)
    stmt = _select(session, q, Item.id).limit(cap + 1)
    counted = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return min(counted, cap), counted > cap


def search(
    session: Session,
    filters: SearchFilters,
    *,
    page: int = 1,
    page_size: int = 25,
    count_cap: int = COUNT_CAP,
    node: Node | None = None,
) -> SearchPage:
    """One page of items matching ``filters``; raises QuerySyntaxError for a malformed query."""
    if node is None:
        node = filters.parsed()
    page = max(1, page)
    start = (page - 1) * page_size
    walked = WalkCount()
    hits = list(
        islice(iter_hits(session, filters, node, count=walked), start, start + page_size + 1)
    )
    has_next = len(hits) > page_size
    ids = [h.id for h in hits[:page_size]]
    total, capped = _total(session, filters, node, walked, max(count_cap, page * page_size))
    return SearchPage(
        records=load_records(session, ids),
        page=page,
        page_size=page_size,
        total=total,
        capped=capped,
        has_next=has_next,
    )


MAX_GROUP_WALK = 20_000  # hits read to fill one page of groups at most


def _matching_members(
    session: Session,
    filters: SearchFilters,
    node: Node | None,
    story_ids: Sequence[int],
    seen: set[int],
    walked: WalkCount,
) -> dict[int, list[int]]:
    """story id → ids of its items that match the search (``seen``: ids known to match).

    Members in the id range a walk read in full are decided by it. The others are checked with
    one more query over their id range: one index evaluation, however many there are (FTS5
    would evaluate a prefix query once per id of an ``IN`` list)."""
    if not story_ids:
        return {}
    members = session.execute(
        select(Item.id, Item.story_id).where(Item.story_id.in_(story_ids))
    ).all()
    matching = seen | walked.read
    low = walked.low
    unseen = [m.id for m in members if m.id not in matching and (low is None or m.id < low)]
    if unseen:
        q = _Query.build(session, filters, node)
        wanted = set(unseen)
        if q.text is not None and _dialect(session) == "sqlite":
            rowid = _SQLITE_FTS.c.rowid
            in_range = session.scalars(
                select(rowid).where(
                    _match(session, q.text), rowid.between(min(unseen), max(unseen))
                )
            )
            text_ok = [i for i in in_range if i in wanted]
            stmt = select(Item.id).where(Item.id.in_(text_ok), *q.conditions)
        else:
            stmt = _select(session, q, Item.id).where(Item.id.in_(unseen))
        matching.update(session.scalars(stmt))
    out: dict[int, list[int]] = {}
    for m in members:
        if m.id in matching and m.story_id is not None:
            out.setdefault(m.story_id, []).append(m.id)
    return out


def search_grouped(
    session: Session,
    filters: SearchFilters,
    *,
    page: int = 1,
    page_size: int = 25,
    count_cap: int = COUNT_CAP,
    node: Node | None = None,
) -> GroupedPage:
    """One page of stories whose reports match (a report outside any story is a group of its
    own), in the order of each story's best match; every matching report of a story is in its
    group, best first."""
    if node is None:
        node = filters.parsed()
    page = max(1, page)
    start = (page - 1) * page_size
    order: list[int] = []  # group keys: story id, or -item id
    first_hit: dict[int, Hit] = {}
    seen: set[int] = set()
    walked = WalkCount()
    for n, hit in enumerate(iter_hits(session, filters, node, count=walked)):
        seen.add(hit.id)
        key = hit.story_id if hit.story_id is not None else -hit.id
        if key not in first_hit:
            first_hit[key] = hit
            order.append(key)
            if len(order) > start + page_size:
                break
        if n >= MAX_GROUP_WALK:
            break
    has_next = len(order) > start + page_size
    keys = order[start : start + page_size]
    story_ids = [k for k in keys if k > 0]
    members = _matching_members(session, filters, node, story_ids, seen, walked)
    newest = filters.sort != "oldest"
    ids = [first_hit[k].id for k in keys] + [i for k in story_ids for i in members.get(k, [])]
    records = {r.id: r for r in load_records(session, ids)}
    stories = {s.id: s for s in story_summaries(session, story_ids)}
    groups = []
    for k in keys:
        top = first_hit[k].id
        group_ids = members.get(k, []) if k > 0 else [-k]
        recs = [records[i] for i in dict.fromkeys([top, *group_ids]) if i in records]
        rest = sorted(recs[1:], key=lambda r: (r.sort_time, r.id), reverse=newest)
        groups.append(SearchGroup(items=tuple([recs[0], *rest]), story=stories.get(k)))
    total, capped = _total(session, filters, node, walked, max(count_cap, page * page_size))
    return GroupedPage(
        groups=groups,
        page=page,
        page_size=page_size,
        total=total,
        capped=capped,
        has_next=has_next,
    )


def iter_records(
    session: Session, filters: SearchFilters, *, batch_size: int = 1000
) -> Iterator[ItemRecord]:
    """Every matching item, oldest first by arrival, in batches (keyset pagination on the id)."""
    node = filters.parsed()
    q = _Query.build(session, filters, node)
    last = 0
    while True:
        stmt = _select(session, q, Item.id).where(Item.id > last).order_by(Item.id.asc())
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
            Item.sort_at,
        )
        .join(Source, Source.id == Item.source_id)
        .where(Item.id.in_(ids))
    ).all()
    tags: dict[int, dict[str, list[str]]] = defaultdict(
        lambda: {"theme": [], "figure": [], "entity": []}
    )
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
            entities=tuple(tags[r.id]["entity"]) if r.id in tags else (),
            sort_at=r.sort_at,
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
        select(
            Item.summary, Item.explanation, Item.declared_language, Source.language, Item.date_text
        )
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
        explanation=read_stored(row.explanation),
        declared_language=row.declared_language if row.declared_language is not None else row[3],
        tags=tags,
        story_title=story_title,
        date_text=row.date_text,
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
    """Choices for the filter form: source names, languages, themes, key figures, entities."""
    tags: dict[str, list[str]] = {"theme": [], "figure": [], "entity": []}
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
        "entities": tags["entity"],
    }


def matching_ids(session: Session, node: Node, item_ids: Sequence[int]) -> set[int]:
    """Which of ``item_ids`` match the parsed query ``node`` (the archive search's own rules:
    the same index, stems and operators as ``monitor search``)."""
    out: set[int] = set()
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        q = _Query.build(session, SearchFilters(relevance="all"), node)
        out.update(session.scalars(_select(session, q, Item.id).where(Item.id.in_(chunk))))
    return out


def story_summaries(session: Session, story_ids: Sequence[int]) -> list[StorySummary]:
    """Summaries of the given stories (any order)."""
    if not story_ids:
        return []
    return [
        StorySummary(
            id=s.id,
            title=s.title,
            lead_item_id=s.lead_item_id,
            first_seen_at=s.first_seen_at,
            last_item_at=s.last_item_at,
            item_count=s.item_count,
            source_count=s.source_count,
        )
        for s in session.scalars(select(Story).where(Story.id.in_(story_ids)))
    ]
