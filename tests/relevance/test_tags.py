"""Replacing an item's tags, with its tag collection loaded by the session or not."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.models import Item, ItemTag
from monitor.db.relevance import TagValue, replace_tags
from tests.dedup.support import BODY, item, source

BEFORE = [
    TagValue("theme", "nuclear", [{"term": "nuclear"}]),
    TagValue("figure", "Sergei Lavrov", [{"term": "Lavrov"}]),
    TagValue("entity", "Bushehr", [{"term": "Bushehr"}]),
]
AFTER = [
    TagValue("theme", "nuclear", [{"term": "nuclear"}]),  # unchanged
    TagValue("figure", "Sergei Lavrov", [{"term": "Лавров"}]),  # new evidence
    TagValue("theme", "energy", [{"term": "gas"}]),  # new; Bushehr is dropped
]


def _stored(db: Database, item_id: int) -> dict[tuple[str, str], tuple[int, list[object]]]:
    with db.session() as s:
        rows = s.execute(
            select(ItemTag.id, ItemTag.kind, ItemTag.value, ItemTag.evidence).where(
                ItemTag.item_id == item_id
            )
        )
        return {(r.kind, r.value): (r.id, r.evidence) for r in rows}


@pytest.mark.parametrize("loaded", [False, True])
def test_replace_tags_keeps_updates_drops_and_adds(db: Database, loaded: bool) -> None:
    with db.session() as s:
        row = item(s, source(s, "wire"), "Lavrov in Moscow", BODY)
        replace_tags(s, row, BEFORE)
        item_id = row.id
    kept_id = _stored(db, item_id)[("theme", "nuclear")][0]
    with db.session() as s:
        row = s.get(Item, item_id)
        assert row is not None
        if loaded:
            assert len(row.tags) == 3  # the collection is in the session: changed through it
        replace_tags(s, row, AFTER)
        s.flush()
        assert {(t.kind, t.value) for t in row.tags} == {(t.kind, t.value) for t in AFTER}
    stored = _stored(db, item_id)
    assert {k: v[1] for k, v in stored.items()} == {(t.kind, t.value): t.evidence for t in AFTER}
    assert stored[("theme", "nuclear")][0] == kept_id  # updated in place, not re-inserted


def test_replace_tags_on_a_new_item(db: Database) -> None:
    with db.session() as s:
        row = item(s, source(s, "wire"), "Lavrov in Moscow", BODY)
        replace_tags(s, row, BEFORE[:1])
        assert [(t.kind, t.value) for t in row.tags] == [("theme", "nuclear")]
        item_id = row.id
    assert set(_stored(db, item_id)) == {("theme", "nuclear")}
