"""Queries for stories and the near-duplicate index (dedup signatures and LSH bands)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from monitor.db.labels import pair_constraints
from monitor.db.models import DedupBand, DedupSignature, Item, ItemTag, Story, StoryEvent
from monitor.records import MANUAL_SIGNALS


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
    folded = (Item.story_id.is_not(None), Item.id != item_id)
    out: list[tuple[int, str]] = []
    if canonical_url:
        ids = session.scalars(
            select(Item.id).where(Item.canonical_url == canonical_url, *folded).order_by(Item.id)
        ).all()
        out.extend((i, "canonical_url") for i in ids)
    if guid:
        ids = session.scalars(
            select(Item.id).where(Item.source_id == source_id, Item.guid == guid, *folded)
        ).all()
        out.extend((i, "guid") for i in ids)
    if content_hash:
        ids = session.scalars(
            select(Item.id).where(Item.content_hash == content_hash, *folded).order_by(Item.id)
        ).all()
        out.extend((i, "fingerprint") for i in ids)
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


def title_key_candidates(
    session: Session, key: str, lo: datetime, hi: datetime, *, exclude: int, limit: int
) -> list[int]:
    if not key:
        return []
    stmt = (
        select(Item.id)
        .join(DedupSignature, DedupSignature.item_id == Item.id)
        .where(Item.title_key == key, Item.id != exclude, DedupSignature.item_time.between(lo, hi))
        .order_by(Item.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def figure_candidates(
    session: Session,
    figures: Iterable[str],
    lo: datetime,
    hi: datetime,
    *,
    exclude: int,
    limit: int,
) -> list[int]:
    """Folded items within [lo, hi] sharing key-figure tags, most shared first."""
    return _tag_candidates(session, "figure", figures, lo, hi, exclude=exclude, limit=limit)


def entity_candidates(
    session: Session,
    entities: Iterable[str],
    lo: datetime,
    hi: datetime,
    *,
    exclude: int,
    limit: int,
    other_than_language: str | None,
) -> list[int]:
    """Folded items within [lo, hi] in *another* language sharing entity tags, most shared
    first (entities only link reports across languages)."""
    return _tag_candidates(
        session,
        "entity",
        entities,
        lo,
        hi,
        exclude=exclude,
        limit=limit,
        other_than_language=other_than_language,
    )


def _tag_candidates(
    session: Session,
    kind: str,
    values: Iterable[str],
    lo: datetime,
    hi: datetime,
    *,
    exclude: int,
    limit: int,
    other_than_language: str | None = None,
) -> list[int]:
    wanted = sorted(set(values))
    if not wanted:
        return []
    shared = func.count().label("shared")
    stmt = (
        select(ItemTag.item_id, shared)
        .join(DedupSignature, DedupSignature.item_id == ItemTag.item_id)
        .where(
            ItemTag.kind == kind,
            ItemTag.value.in_(wanted),
            ItemTag.item_id != exclude,
            DedupSignature.item_time.between(lo, hi),
        )
    )
    if other_than_language is not None:
        stmt = stmt.join(Item, Item.id == ItemTag.item_id).where(
            or_(Item.language.is_(None), Item.language != other_than_language)
        )
    stmt = (
        stmt.group_by(ItemTag.item_id).order_by(shared.desc(), ItemTag.item_id.desc()).limit(limit)
    )
    return [row[0] for row in session.execute(stmt)]


def save_signature(
    session: Session,
    *,
    item_id: int,
    kind: str,
    minhash: bytes,
    shingles: int,
    time: datetime,
    bands: Iterable[int],
) -> None:
    """Replace the item's signature and band rows."""
    session.execute(delete(DedupBand).where(DedupBand.item_id == item_id))
    session.execute(delete(DedupSignature).where(DedupSignature.item_id == item_id))
    session.add(
        DedupSignature(
            item_id=item_id, kind=kind, minhash=minhash, shingles=shingles, item_time=time
        )
    )
    rows = [
        {"band_hash": int(h), "item_id": item_id, "item_time": time} for h in sorted(set(bands))
    ]
    if rows:
        session.execute(insert(DedupBand), rows)


# --------------------------------------------------------------------------- stories


def create_story(session: Session, item: Item, time: datetime) -> Story:
    story = Story(
        lead_item_id=item.id,
        title=item.title,
        first_seen_at=time,
        last_item_at=time,
        item_count=1,
        source_count=1,
    )
    session.add(story)
    session.flush()
    return story


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
) -> StoryEvent:
    event = StoryEvent(
        story_id=story_id,
        item_id=item_id,
        matched_item_id=matched_item_id,
        signal=signal,
        role=role,
        similarity=similarity,
        detail=detail or {},
    )
    session.add(event)
    return event


def story_members(session: Session, story_id: int) -> list[FoldRow]:
    ids = session.scalars(select(Item.id).where(Item.story_id == story_id)).all()
    return load_fold_rows(session, ids)


def story_member_ids(session: Session, story_id: int) -> set[int]:
    return set(session.scalars(select(Item.id).where(Item.story_id == story_id)))


def refresh_story(session: Session, story_id: int) -> None:
    """Recompute a story's counts, times and title from its members; delete it when empty."""
    story = session.get(Story, story_id)
    if story is None:
        return
    session.flush()
    members = session.execute(
        select(
            Item.id,
            Item.source_id,
            Item.story_role,
            Item.title,
            Item.published_at,
            Item.date_quality,
            Item.first_seen_at,
        ).where(Item.story_id == story_id)
    ).all()
    if not members:
        session.delete(story)
        return

    story.item_count = len(members)
    story.source_count = len({m.source_id for m in members})
    story.first_seen_at = min(item_time(m) for m in members)
    story.last_item_at = max(item_time(m) for m in members)
    lead = next((m for m in members if m.id == story.lead_item_id), None)
    if lead is None:
        lead = next((m for m in members if m.story_role == "lead"), min(members, key=item_time))
        story.lead_item_id = lead.id
    story.title = lead.title


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
