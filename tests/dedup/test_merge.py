"""An item that links two stories merges them; the merge is recorded, undone by a split, and
reproduced by a rebuild."""

from __future__ import annotations

from sqlalchemy import select

from monitor.config import DedupSettings
from monitor.db.engine import Database
from monitor.db.models import Item, StoryEvent
from monitor.dedup.service import rebuild, split
from monitor.dedup.stage import FoldStage
from monitor.pipeline import StageContext
from tests.dedup.support import BODY, item, source

SETTINGS = DedupSettings()
FIGURES_EN = (
    "\nThe ministers listed projects worth 4,500 million dollars, 2,700 wagons a month and a "
    "45-day customs deadline."
)
RU = (
    "глава российской дипломатии Лавров провёл переговоры с иранским коллегой, стороны обсудили "
    "ядерную программу и региональную безопасность.\n"
    "по его словам, российская сторона готова помочь найти компромисс, а угрозы силой лишь "
    "затруднят урегулирование для всех участников.\n"
    "стороны договорились подготовить заседание межправительственной комиссии в мае."
)
FIGURES_RU = (
    "\nназваны проекты на 4500 млн долларов, 2700 вагонов в месяц и таможенный срок в 45 дней."
)


def _stories(db: Database, ids: list[int]) -> list[int | None]:
    with db.session() as s:
        return [s.get(Item, i).story_id for i in ids]  # type: ignore[union-attr]


def _fold_three(db: Database) -> list[int]:
    stage = FoldStage(SETTINGS)
    ctx = StageContext()
    with db.session() as s:
        srcs = [source(s, n) for n in ("wire", "daily", "portal")]
    rows = [
        ("Lavrov hosts Iranian minister", BODY + FIGURES_EN, "en", 0),
        ("Лавров принял иранского министра", RU, "ru", 1),
        ("Лавров и иранский министр: итоги", RU + FIGURES_RU, "ru", 2),
    ]
    ids = []
    for src, (title, text, lang, hours) in zip(srcs, rows, strict=True):
        with db.session() as s:
            row = item(s, src, title, text, hours=hours, language=lang, figures=("Sergei Lavrov",))
            stage.process(s, row, ctx)
            ids.append(row.id)
    assert ctx.stats["fold/merged"] == 1, ctx.stats
    return ids


def test_bridging_item_merges_two_stories_and_split_undoes_it(db: Database) -> None:
    ids = _fold_three(db)
    stories = _stories(db, ids)
    assert stories[0] == stories[1] == stories[2]
    with db.session() as s:
        merged = s.scalars(select(StoryEvent).where(StoryEvent.signal == "merge")).all()
        assert merged
        assert all(e.matched_item_id == ids[2] for e in merged)
        assert all(e.similarity is not None and e.similarity >= 0.4 for e in merged)
        moved = {e.item_id for e in merged}
        lead = s.get(Item, min(moved))
        assert lead is not None
        assert lead.story_reason["signal"] == "merge"
    # the rebuild reproduces the merge
    rebuild(db, SETTINGS)
    again = _stories(db, ids)
    assert again[0] == again[1] == again[2]
    # a split undoes it, and the next rebuild keeps the items apart
    new_story = split(db, again[0], sorted(moved))  # type: ignore[arg-type]
    after = _stories(db, ids)
    assert {after[i] for i, x in enumerate(ids) if x in moved} == {new_story}
    rebuild(db, SETTINGS)
    final = _stories(db, ids)
    kept = [final[i] for i, x in enumerate(ids) if x in moved]
    others = [final[i] for i, x in enumerate(ids) if x not in moved]
    assert not set(kept) & set(others)
