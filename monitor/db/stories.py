"""Queries for stories and the near-duplicate index (dedup signatures and LSH bands).

The queries the fold stage runs for every item are built once (module constants with bound
parameters) and run on the session's connection: building and compiling a statement costs several
times what SQLite takes to answer it. They read what is flushed; the fold stage flushes before
each read that needs its own writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import Executable

from monitor.db.labels import pair_constraints
from monitor.db.models import DedupBand, DedupSignature, Item, ItemTag, Story, StoryEvent
from monitor.records import MANUAL_SIGNALS


def _run(session: Session, stmt: Executable, params: dict[str, Any] | None = None) -> Any:
    """Run a prepared statement on the session's connection (no autoflush, no ORM); its
    :class:`~sqlalchemy.engine.CursorResult`, rows untyped."""
    conn: Connection = session.connection()
    return conn.execute(stmt, params or {})


@dataclass(frozen=True)
class FoldRow:
    """What matching needs to know about a stored item."""

    id: int
    source_id: int
    story_id: int | None
    story_role: str | None
    story_reason: dict[str, Any] | None
    language: str | None
    title: str
    text: str
    time: datetime
    figures: frozenset[str] = frozenset()
    themes: frozenset[str] = frozenset()
    entities: frozenset[str] = frozenset()


class Dated(Protocol):
    """An item or a row of its columns: what :func:`item_time` reads."""

    @property
    def published_at(self) -> datetime | None: ...
    @property
    def date_quality(self) -> str: ...
    @property
    def first_seen_at(self) -> datetime: ...


def item_time(item: Dated) -> datetime:
    """The time an item is matched at (and a story is dated by): its publication date when
    plausible, else when it was first seen."""
    if item.published_at is not None and item.date_quality == "ok":
        return item.published_at
    return item.first_seen_at


def item_body(item: Item) -> str:
    return item.text or item.summary or ""


def tag_values(
    session: Session, item_ids: Sequence[int]
) -> dict[int, tuple[set[str], set[str], set[str]]]:
    """item id → (figures, themes, entities) from ItemTag rows."""
    out: dict[int, tuple[set[str], set[str], set[str]]] = {
        i: (set(), set(), set()) for i in item_ids
    }
    if not item_ids:
        return out
    rows = session.execute(
        select(ItemTag.item_id, ItemTag.kind, ItemTag.value).where(ItemTag.item_id.in_(item_ids))
    )
    for item_id, kind, value in rows:
        if kind == "figure":
            out[item_id][0].add(value)
        elif kind == "theme":
            out[item_id][1].add(value)
        elif kind == "entity":
            out[item_id][2].add(value)
    return out


_TAG_PAIRS = select(ItemTag.kind, ItemTag.value).where(ItemTag.item_id == bindparam("item_id"))


def tag_pairs(session: Session, item_id: int) -> list[tuple[str, str]]:
    """(kind, value) of an item's tags, without their evidence (flushed tags only)."""
    return [(k, v) for k, v in _run(session, _TAG_PAIRS, {"item_id": item_id})]


_FOLD_COLUMNS = (
    Item.id,
    Item.source_id,
    Item.story_id,
    Item.story_role,
    Item.story_reason,
    Item.language,
    Item.title,
    Item.text,
    Item.summary,
    Item.published_at,
    Item.date_quality,
    Item.first_seen_at,
)


def load_fold_rows(session: Session, item_ids: Iterable[int]) -> list[FoldRow]:
    """The matching view of stored items (only the columns matching reads, no ORM objects)."""
    ids = sorted(set(item_ids))
    if not ids:
        return []
    tags = tag_values(session, ids)
    rows = session.execute(select(*_FOLD_COLUMNS).where(Item.id.in_(ids)).order_by(Item.id))
    out = []
    for r in rows:
        out.append(
            FoldRow(
                id=r.id,
                source_id=r.source_id,
                story_id=r.story_id,
                story_role=r.story_role,
                story_reason=r.story_reason,
                language=r.language,
                title=r.title,
                text=r.text or r.summary or "",
                time=item_time(r),
                figures=frozenset(tags[r.id][0]),
                themes=frozenset(tags[r.id][1]),
                entities=frozenset(tags[r.id][2]),
            )
        )
    return out


# --------------------------------------------------------------------------- candidates


_EXACT: dict[tuple[bool, bool, bool], Executable] = {}


def _exact_statement(url: bool, guid: bool, content_hash: bool) -> Executable:
    """The exact-copy query for the identifiers an item has (see :func:`exact_matches`)."""
    same = []
    if url:
        same.append(Item.canonical_url == bindparam("canonical_url"))
    if guid:
        same.append((Item.source_id == bindparam("source_id")) & (Item.guid == bindparam("guid")))
    if content_hash:
        same.append(Item.content_hash == bindparam("content_hash"))
    return (
        select(Item.id, Item.canonical_url, Item.source_id, Item.guid, Item.content_hash)
        .where(Item.story_id.is_not(None), Item.id != bindparam("item_id"), or_(*same))
        .order_by(Item.id)
    )


def exact_matches(
    session: Session,
    *,
    item_id: int,
    canonical_url: str,
    source_id: int,
    guid: str | None,
    content_hash: str | None,
) -> list[tuple[int, str]]:
    """Folded items that are exact copies: (item id, signal), strongest signal first."""
    shape = (bool(canonical_url), bool(guid), bool(content_hash))
    if not any(shape):
        return []
    stmt = _EXACT.get(shape)
    if stmt is None:
        stmt = _EXACT[shape] = _exact_statement(*shape)
    params: dict[str, Any] = {"item_id": item_id}
    if canonical_url:
        params["canonical_url"] = canonical_url
    if guid:
        params.update(source_id=source_id, guid=guid)
    if content_hash:
        params["content_hash"] = content_hash
    rows = _run(session, stmt, params).all()
    out: list[tuple[int, str]] = []
    out += [
        (r.id, "canonical_url") for r in rows if canonical_url and r.canonical_url == canonical_url
    ]
    out += [(r.id, "guid") for r in rows if guid and r.source_id == source_id and r.guid == guid]
    out += [(r.id, "fingerprint") for r in rows if content_hash and r.content_hash == content_hash]
    return out


def band_candidates(
    session: Session, hashes: Sequence[int], lo: datetime, hi: datetime, *, exclude: int, limit: int
) -> list[int]:
    """Items sharing at least one band hash within [lo, hi], most shared bands first."""
    if not hashes:
        return []
    hits = func.count().label("hits")
    stmt = (
        select(DedupBand.item_id, hits)
        .where(
            DedupBand.band_hash.in_([int(h) for h in hashes]),
            DedupBand.item_time.between(lo, hi),
            DedupBand.item_id != exclude,
        )
        .group_by(DedupBand.item_id)
        .order_by(hits.desc(), DedupBand.item_id.desc())
        .limit(limit)
    )
    return [row[0] for row in session.execute(stmt)]


def folded_between(session: Session, lo: datetime, hi: datetime) -> list[int]:
    """Items indexed for matching (a dedup signature) whose matching time is in [lo, hi]."""
    stmt = select(DedupSignature.item_id).where(DedupSignature.item_time.between(lo, hi))
    return list(session.scalars(stmt))


FOLD_LOCK_KEY = 0x6D6F6E666F6C64  # "monfold": the PostgreSQL advisory lock of folding


def lock_folding(session: Session) -> None:
    """PostgreSQL: wait for the archive's fold lock, held until this transaction ends, so
    folds by several processes (``monitor worker``) happen one after another and each sees the
    stories the one before it committed. SQLite needs none: one writer at a time already."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FOLD_LOCK_KEY})


def last_event(session: Session) -> int:
    """The id of the newest story event (0 when there is none)."""
    return int(session.scalar(select(func.max(StoryEvent.id))) or 0)


_FOLDED_SINCE = select(StoryEvent.id, StoryEvent.item_id).where(StoryEvent.id > bindparam("after"))


def folded_since(session: Session, event_id: int) -> tuple[list[int], int]:
    """Items with a story event after ``event_id`` (folded, by this process or another one),
    and the newest event id. Under the fold lock events are numbered in commit order, so
    nothing folded elsewhere is missed."""
    rows = _run(session, _FOLDED_SINCE, {"after": event_id}).all()
    top = max((int(r[0]) for r in rows), default=event_id)
    return sorted({int(r[1]) for r in rows}), top


_STORY_IDS = select(Item.id, Item.story_id).where(
    Item.id.in_(bindparam("ids", expanding=True)), Item.story_id.is_not(None)
)


def story_ids(session: Session, item_ids: Iterable[int]) -> dict[int, int]:
    """item id → story id, for the given items that are in a story."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    rows = _run(session, _STORY_IDS, {"ids": ids})
    return {int(i): int(s) for i, s in rows if s is not None}


_DELETE_BANDS = delete(DedupBand).where(DedupBand.item_id == bindparam("item_id"))
_DELETE_SIGNATURE = delete(DedupSignature).where(DedupSignature.item_id == bindparam("item_id"))
_INSERT_SIGNATURE = insert(DedupSignature)  # the columns are those of the parameters given


def save_signature(
    session: Session,
    *,
    item_id: int,
    kind: str,
    minhash: bytes,
    shingles: int,
    time: datetime,
    bands: Iterable[int],
    fresh: bool = False,
) -> None:
    """Replace the item's signature and band rows (``fresh``: it has none yet)."""
    if not fresh:
        _run(session, _DELETE_BANDS, {"item_id": item_id})
        _run(session, _DELETE_SIGNATURE, {"item_id": item_id})
    _run(
        session,
        _INSERT_SIGNATURE,
        {
            "item_id": item_id,
            "kind": kind,
            "minhash": minhash,
            "shingles": shingles,
            "item_time": time,
        },
    )
    rows = [
        {"band_hash": int(h), "item_id": item_id, "item_time": time} for h in sorted(set(bands))
    ]
    if rows:
        session.execute(insert(DedupBand), rows)


# --------------------------------------------------------------------------- stories


_INSERT_STORY = insert(Story)


def create_story(session: Session, item: Item, time: datetime) -> int:
    """A new story led by ``item`` (already flushed); returns its id."""
    values = {
        "lead_item_id": item.id,
        "title": item.title,
        "first_seen_at": time,
        "last_item_at": time,
        "item_count": 1,
        "source_count": 1,
    }
    result = _run(session, _INSERT_STORY, values)
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


_INSERT_EVENT = insert(StoryEvent)


def record_event(
    session: Session,
    *,
    story_id: int | None,
    item_id: int,
    signal: str,
    role: str,
    matched_item_id: int | None = None,
    similarity: float | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write a story event now (events are numbered in the order they are recorded)."""
    _run(
        session,
        _INSERT_EVENT,
        {
            "story_id": story_id,
            "item_id": item_id,
            "matched_item_id": matched_item_id,
            "signal": signal,
            "role": role,
            "similarity": similarity,
            "detail": detail or {},
        },
    )


def merge_story(
    session: Session,
    *,
    into: int,
    other: int,
    item_id: int,
    matched_item_id: int,
    similarity: float,
    detail: dict[str, Any],
) -> list[int]:
    """Move every item of story ``other`` into story ``into``: item ``item_id`` (in ``into``) is
    evidence that ``matched_item_id`` (in ``other``) reports the same event. The other story's
    lead becomes a related report; each moved item gets a ``merge`` event (``monitor stories
    split`` undoes it). Returns the moved item ids."""
    session.flush()
    old_lead = session.scalar(select(Story.lead_item_id).where(Story.id == other))
    rows = session.execute(
        select(Item.id, Item.story_role).where(Item.story_id == other).order_by(Item.id)
    ).all()
    if not rows:
        return []
    moved = [r.id for r in rows]
    leads = [r.id for r in rows if r.story_role == "lead" or r.id == old_lead]
    session.execute(
        update(Item)
        .where(Item.story_id == other)
        .values(story_id=into)
        .execution_options(synchronize_session=False)
    )
    for lead in leads:
        session.execute(
            update(Item)
            .where(Item.id == lead)
            .values(
                story_role="related",
                story_reason={
                    "signal": "merge",
                    "similarity": similarity,
                    "matched_item_id": item_id if lead == matched_item_id else matched_item_id,
                    "detail": {**detail, "from_story": other, "via_item": item_id},
                },
            )
            .execution_options(synchronize_session=False)
        )
    roles = {r.id: ("related" if r.id in leads else r.story_role or "related") for r in rows}
    session.execute(
        insert(StoryEvent),
        [
            {
                "story_id": into,
                "item_id": i,
                "matched_item_id": item_id,
                "signal": "merge",
                "role": roles[i],
                "similarity": similarity,
                "detail": {
                    "from_story": other,
                    "via_item": item_id,
                    "matched_item_id": matched_item_id,
                },
            }
            for i in moved
        ],
    )
    session.execute(update(StoryEvent).where(StoryEvent.story_id == other).values(story_id=into))
    session.execute(
        update(Item).where(Item.story_id == other).values(story_id=into)
    )  # nothing left; keeps the foreign key clear before the delete
    session.execute(delete(Story).where(Story.id == other))
    # the session's copies of moved items and of the deleted story are stale now
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, Item) and obj.id in roles) or (
            isinstance(obj, Story) and obj.id == other
        ):
            session.expire(obj)
    return moved


@dataclass(frozen=True)
class LeadRow:
    """What choosing a story's lead needs to know about a member."""

    id: int
    story_role: str | None
    story_reason: dict[str, Any] | None
    time: datetime
    length: int  # characters of text (or summary)


_LEAD_ROWS = select(
    Item.id,
    Item.story_role,
    Item.story_reason,
    Item.published_at,
    Item.date_quality,
    Item.first_seen_at,
    func.length(func.coalesce(func.nullif(Item.text, ""), Item.summary, "")),
).where(Item.story_id == bindparam("story_id"))


def story_lead_rows(session: Session, story_id: int) -> list[LeadRow]:
    """Flushed members of a story, as choosing its lead sees them."""
    rows = _run(session, _LEAD_ROWS, {"story_id": story_id})
    return [
        LeadRow(
            id=r[0],
            story_role=r[1],
            story_reason=r[2],
            time=r[3] if r[3] is not None and r[4] == "ok" else r[5],
            length=int(r[6] or 0),
        )
        for r in rows
    ]


_MEMBER_IDS = select(Item.id).where(Item.story_id == bindparam("story_id"))


def story_member_ids(session: Session, story_id: int) -> set[int]:
    """Ids of a story's (flushed) members."""
    return set(_run(session, _MEMBER_IDS, {"story_id": story_id}).scalars())


_STORY_LEAD = select(Story.lead_item_id).where(Story.id == bindparam("story_id"))


def story_lead_id(session: Session, story_id: int) -> int | None:
    """The story's lead item (None when it has none or the story does not exist)."""
    story = session.identity_map.get(identity_key(Story, story_id))
    lead = (
        story.lead_item_id
        if story is not None
        else _run(session, _STORY_LEAD, {"story_id": story_id}).scalar()
    )
    return None if lead is None else int(lead)


_MEMBERS = (
    select(
        Item.id,
        Item.source_id,
        Item.story_role,
        Item.title,
        Item.published_at,
        Item.date_quality,
        Item.first_seen_at,
        Story.lead_item_id,
    )
    .join(Story, Story.id == Item.story_id)
    .where(Item.story_id == bindparam("story_id"))
)
_STORY_EXISTS = select(Story.id, Story.lead_item_id).where(Story.id == bindparam("story_id"))
_UPDATE_STORY = update(Story).where(Story.id == bindparam("story_id"))  # SET: the parameters
_DELETE_STORY = delete(Story).where(Story.id == bindparam("story_id"))


def refresh_story(session: Session, story_id: int) -> None:
    """Recompute a story's counts, times and title from its members; delete it when empty.

    Written with one UPDATE; a copy of the story the session holds is kept in step."""
    session.flush()
    story = session.identity_map.get(identity_key(Story, story_id))
    members = _run(session, _MEMBERS, {"story_id": story_id}).all()
    if not members:
        if story is not None:
            session.delete(story)
        elif _run(session, _STORY_EXISTS, {"story_id": story_id}).first() is not None:
            _run(session, _DELETE_STORY, {"story_id": story_id})
        return
    # the members' rows carry their story's lead (read with them: one statement)
    lead_id = story.lead_item_id if story is not None else members[0].lead_item_id
    lead = next((m for m in members if m.id == lead_id), None)
    if lead is None:
        lead = next((m for m in members if m.story_role == "lead"), min(members, key=item_time))
    values = {
        "item_count": len(members),
        "source_count": len({m.source_id for m in members}),
        "first_seen_at": min(item_time(m) for m in members),
        "last_item_at": max(item_time(m) for m in members),
        "lead_item_id": lead.id,
        "title": lead.title,
    }
    _run(session, _UPDATE_STORY, {"story_id": story_id, **values})
    if story is not None:
        for key, value in values.items():
            set_committed_value(story, key, value)


def cannot_link(session: Session) -> dict[int, set[int]]:
    """Manual splits and "not the same story" labels as symmetric item pairs that must never
    share a story again."""
    out: dict[int, set[int]] = {}
    rows = session.execute(
        select(StoryEvent.item_id, StoryEvent.detail).where(
            StoryEvent.signal.in_(MANUAL_SIGNALS), StoryEvent.undone_at.is_(None)
        )
    )
    for item_id, detail in rows:
        for other in (detail or {}).get("apart_from", []):
            out.setdefault(item_id, set()).add(int(other))
            out.setdefault(int(other), set()).add(item_id)
    for item_id, others in pair_constraints(session).cannot.items():  # "not the same story"
        out.setdefault(item_id, set()).update(others)
    return out


def must_link(session: Session) -> dict[int, set[int]]:
    """Items a reviewer labelled "same story": each must join its partner's story."""
    return pair_constraints(session).must


# --------------------------------------------------------------------------- rebuild


def reset_stories(session: Session) -> None:
    """Forget every automatic story assignment; manual split events survive (detached)."""
    session.execute(
        update(StoryEvent).where(StoryEvent.signal.in_(MANUAL_SIGNALS)).values(story_id=None)
    )
    session.execute(delete(StoryEvent).where(StoryEvent.signal.not_in(MANUAL_SIGNALS)))
    session.execute(update(Item).values(story_id=None, story_role=None, story_reason=None))
    session.execute(delete(DedupBand))
    session.execute(delete(DedupSignature))
    session.execute(update(Story).values(lead_item_id=None))
    session.execute(delete(Story))


def items_to_fold(session: Session) -> list[int]:
    """Relevant (or not yet judged) items in the order they are folded: oldest first."""
    rows = session.execute(
        select(Item.id, Item.published_at, Item.date_quality, Item.first_seen_at).where(
            Item.relevant.is_not(False)
        )
    ).all()

    return [row.id for row in sorted(rows, key=lambda row: (item_time(row), row.id))]
