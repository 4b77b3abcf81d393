"""Queries for relevance: an item's tags, batches for ``rescore``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from monitor.db.models import Item, ItemTag


@dataclass(frozen=True)
class TagValue:
    kind: str  # theme | figure | entity
    value: str
    evidence: list[Any]


def replace_tags(session: Session, item: Item, tags: list[TagValue]) -> None:
    """Make the item's theme/figure tags exactly ``tags``; rows with the same kind and value are
    updated in place (deleting and re-inserting them in one flush would break the unique key)."""
    wanted = {(t.kind, t.value): t for t in tags}
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
