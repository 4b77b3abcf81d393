"""Manual split, and a rebuild that respects it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from monitor.config import DedupSettings
from monitor.db.engine import Database
from monitor.db.models import Item, StoryEvent
from monitor.dedup.service import StoryError, rebuild, split
from monitor.dedup.stage import FoldStage
from monitor.pipeline import StageContext
from tests.dedup.support import BODY, item, source

SETTINGS = DedupSettings()


def _three_copies(db: Database) -> list[int]:
    stage = FoldStage(SETTINGS)
    ctx = StageContext()
    with db.session() as s:
        srcs = [source(s, n) for n in ("a", "b", "c")]
    ids = []
    for n, src in enumerate(srcs):
        with db.session() as s:
            row = item(
                s, src, f"Talks in Moscow, version {n}", BODY + "\nSource: TASS" * n, hours=n
            )
            stage.process(s, row, ctx)
            ids.append(row.id)
    assert ctx.stats["fold/copies"] == 2
    return ids


def _stories(db: Database, ids: list[int]) -> list[int | None]:
    with db.session() as s:
        return [s.get(Item, i).story_id for i in ids]


def test_split_then_rebuild_and_new_items_respect_it(db: Database) -> None:
    ids = _three_copies(db)
    original = _stories(db, ids)[0]
    new_story = split(db, original, [ids[2]])
    stories = _stories(db, ids)
    assert stories[0] == stories[1] == original
    assert stories[2] == new_story
    with db.session() as s:
        ev = s.scalars(select(StoryEvent).where(StoryEvent.signal == "split")).one()
        assert ev.item_id == ids[2]
        assert ev.detail["apart_from"] == sorted(ids[:2])
    result = rebuild(db, SETTINGS)
    assert result.items == 3
    after = _stories(db, ids)
    assert after[0] == after[1]
    assert after[2] != after[0]
    with db.session() as s:  # the split survives the rebuild and is still shown
        assert (
            s.scalars(select(StoryEvent).where(StoryEvent.signal == "split")).one().item_id
            == ids[2]
        )
    # a second rebuild gives the same grouping
    rebuild(db, SETTINGS)
    again = _stories(db, ids)
    assert again[0] == again[1]
    assert again[2] != again[0]


def test_rebuild_without_splits_regroups(db: Database) -> None:
    ids = _three_copies(db)
    rebuild(db, SETTINGS)
    stories = _stories(db, ids)
    assert stories[0] is not None
    assert len(set(stories)) == 1


def test_split_errors(db: Database) -> None:
    ids = _three_copies(db)
    story = _stories(db, ids)[0]
    assert story is not None
    with pytest.raises(StoryError, match="no story"):
        split(db, 999_999, [ids[0]])
    with pytest.raises(StoryError, match="not in story"):
        split(db, story, [999_999])
    with pytest.raises(StoryError, match="at least one item in the story"):
        split(db, story, ids)
