"""Queries for relevance: an item's tags, batches for ``rescore``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, inspect, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from monitor.db.models import Item, ItemTag


@dataclass(frozen=True)
class TagValue:
    kind: str  # theme | figure | entity
    value: str
    evidence: list[Any]


_TAG_ROWS = select(ItemTag.id, ItemTag.kind, ItemTag.value, ItemTag.evidence).where(
    ItemTag.item_id == bindparam("item_id")
)
_DELETE_TAGS = delete(ItemTag).where(ItemTag.id.in_(bindparam("ids", expanding=True)))
_UPDATE_EVIDENCE = update(ItemTag).where(ItemTag.id == bindparam("tag_id"))


def replace_tags(session: Session, item: Item, tags: list[TagValue]) -> None:
    """Make the item's theme/figure tags exactly ``tags``; rows with the same kind and value are
    updated in place (deleting and re-inserting them in one flush would break the unique key).

    A stored item whose tags the session has not loaded (the crawl's case) has its rows
    compared and written with a few statements, and its ``tags`` stay unloaded."""
    wanted = {(t.kind, t.value): t for t in tags}
    if item.id is not None and _replace_unloaded(session, item, wanted):
        return
    for row in list(item.tags):
        tag = wanted.pop((row.kind, row.value), None)
        if tag is None:
            item.tags.remove(row)  # delete-orphan cascade removes the row
        elif row.evidence != tag.evidence:
            row.evidence = tag.evidence
    if item.id is not None and len(wanted) > 1:
        # one executemany instead of an INSERT … RETURNING per tag; the collection is read anew
        session.flush()
        session.execute(
            insert(ItemTag),
            [
                {"item_id": item.id, "kind": t.kind, "value": t.value, "evidence": t.evidence}
                for t in wanted.values()
            ],
        )
        session.expire(item, ["tags"])
        return
    for tag in wanted.values():
        item.tags.append(ItemTag(kind=tag.kind, value=tag.value, evidence=tag.evidence))


def _replace_unloaded(
    session: Session, item: Item, wanted: dict[tuple[str, str], TagValue]
) -> bool:
    """:func:`replace_tags` without loading the collection; False (nothing done) when the
    session holds the item's tags."""
    state = inspect(item)
    if state.key is None or "tags" not in state.unloaded:
        return False
    conn = session.connection()
    rows = conn.execute(_TAG_ROWS, {"item_id": item.id}).all()
    if any(identity_key(ItemTag, r.id) in session.identity_map for r in rows):
        return False
    wanted = dict(wanted)
    dropped: list[int] = []
    changed: list[dict[str, Any]] = []
    for r in rows:
        tag = wanted.pop((r.kind, r.value), None)
        if tag is None:
            dropped.append(r.id)
        elif r.evidence != tag.evidence:
            changed.append({"tag_id": r.id, "evidence": tag.evidence})
    if dropped:
        conn.execute(_DELETE_TAGS, {"ids": dropped})
    if changed:
        conn.execute(_UPDATE_EVIDENCE, changed)
    if wanted:
        conn.execute(
            insert(ItemTag),
            [
                {"item_id": item.id, "kind": t.kind, "value": t.value, "evidence": t.evidence}
                for t in wanted.values()
            ],
        )
    return True


def item_batch(session: Session, after_id: int, limit: int) -> list[Item]:
    """The next ``limit`` items by id, with their source and tags loaded."""
    stmt = (
        select(Item)
        .where(Item.id > after_id)
        .order_by(Item.id)
        .limit(limit)
        .options(selectinload(Item.tags), selectinload(Item.source))
    )
    return list(session.scalars(stmt))
