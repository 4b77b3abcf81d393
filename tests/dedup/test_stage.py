"""FoldStage on a real archive (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from monitor.config import DedupSettings
from monitor.db.engine import Database
from monitor.db.models import DedupBand, DedupSignature, Item, Story, StoryEvent
from monitor.dedup.stage import FoldStage
from monitor.pipeline import StageContext, run_stages
from tests.dedup.support import BODY, OTHER, item, source

SETTINGS = DedupSettings()


def test_copies_related_and_new_stories(db: Database) -> None:
    stage = FoldStage(SETTINGS)
    ctx = StageContext()
    with db.session() as s:
        wire, daily, portal, ru = (source(s, n) for n in ("wire", "daily", "portal", "ru"))
    steps = [
        (wire, "Lavrov and Araghchi discuss nuclear talks", BODY, {}),
        # syndicated copy: new headline, trimmed last paragraph, agency credit
        (
            daily,
            "Russia offers help on nuclear talks – Gulf Herald",
            "MOSCOW, March 10 (TASS) – " + BODY.rsplit("\n", 1)[0] + "\nSource: TASS",
            {"hours": 2},
        ),
        # the same article at an AMP URL of the wire's site, via another feed
        (
            portal,
            "Lavrov and Araghchi discuss nuclear talks",
            BODY,
            {"hours": 3, "url": "https://amp.wire.example.org/news/1?utm_source=x"},
        ),
        # a Russian report of the same meeting: related, not a copy
        (
            ru,
            "Лавров и Аракчи обсудили ядерную программу",
            "Министр иностранных дел провел переговоры. " * 8,
            {"hours": 1, "language": "ru"},
        ),
        # another event
        (wire, "Gazprom signs memorandum on gas supplies", OTHER, {"hours": 5}),
        # irrelevant: never folded
        (daily, "Football results", OTHER.replace("gas", "goal"), {"hours": 6, "relevant": False}),
    ]
    ids = []
    for src, title, text, kw in steps:
        with db.session() as s:
            figures = ("lavrov", "araghchi") if "avrov" in title or "Лавров" in title else ()
            themes = ("diplomacy",) if figures else ()
            row = item(s, src, title, text, figures=figures, themes=themes, **kw)
            run_stages([stage], s, row, ctx)
            ids.append(row.id)
    assert ctx.stats["fold/copies"] == 2
    assert ctx.stats["fold/related"] == 1
    assert ctx.stats["fold/new_story"] == 2
    with db.session() as s:
        rows = {i.id: i for i in s.scalars(select(Item))}
        lead, copy, amp, ru_row, gas, football = (rows[i] for i in ids)
        assert lead.story_role == "lead"
        assert copy.story_id == lead.story_id
        assert copy.story_role == "copy"
        assert copy.story_reason["signal"] == "near_copy"
        assert copy.story_reason["similarity"] >= 0.8
        assert amp.story_reason["signal"] == "canonical_url"
        assert amp.story_id == lead.story_id
        assert ru_row.story_id == lead.story_id
        assert ru_row.story_role == "related"
        assert ru_row.story_reason["detail"]["cross_language"] is True
        assert gas.story_id != lead.story_id
        assert gas.story_role == "lead"
        assert football.story_id is None
        story = s.get(Story, lead.story_id)
        assert story is not None
        assert story.item_count == 4
        assert story.source_count == 4
        assert story.lead_item_id == lead.id
        events = s.scalars(select(StoryEvent).where(StoryEvent.item_id == copy.id)).all()
        assert [(e.signal, e.matched_item_id) for e in events] == [("near_copy", lead.id)]
        # every folded item is recorded as indexed (signature and matching time); candidates
        # come from the in-memory window, so no LSH band rows are written
        assert s.scalar(select(func.count()).select_from(DedupSignature)) == 5
        assert s.scalar(select(func.count()).select_from(DedupBand)) == 0


def test_more_complete_early_copy_becomes_lead(db: Database) -> None:
    stage = FoldStage(SETTINGS)
    ctx = StageContext()
    with db.session() as s:
        a, b = source(s, "short"), source(s, "full")
    with db.session() as s:
        first = item(s, a, "Talks in Moscow", BODY.rsplit("\n", 1)[0])
        stage.process(s, first, ctx)
    with db.session() as s:
        fuller = item(
            s,
            b,
            "Lavrov holds talks",
            BODY + "\nMore detail follows in a final line here.",
            hours=1,
        )
        stage.process(s, fuller, ctx)
    with db.session() as s:
        story = s.get(Story, s.get(Item, first.id).story_id)
        assert story.lead_item_id == fuller.id
        assert s.get(Item, first.id).story_role == "copy"
        assert s.get(Item, fuller.id).story_role == "lead"
        signals = [e.signal for e in s.scalars(select(StoryEvent).order_by(StoryEvent.id))]
        assert signals == ["new_story", "near_copy", "lead"]


def test_window_keeps_months_apart_meetings_apart(db: Database) -> None:
    stage = FoldStage(SETTINGS)
    ctx = StageContext()
    with db.session() as s:
        src = source(s, "wire")
    later = BODY.replace("Monday", "Tuesday").replace("in May", "in September")
    for hours, text in ((0, BODY), (24 * 120, later)):
        with db.session() as s:
            stage.process(
                s,
                item(
                    s,
                    src,
                    "Lavrov meets Araghchi",
                    text,
                    hours=hours,
                    figures=("lavrov", "araghchi"),
                ),
                ctx,
            )
    assert ctx.stats["fold/new_story"] == 2


def test_revision_keeps_story(db: Database) -> None:
    stage = FoldStage(SETTINGS)
    ctx = StageContext()
    with db.session() as s:
        src = source(s, "wire")
        row = item(s, src, "Talks", BODY)
        stage.process(s, row, ctx)
        story_id = row.story_id
    with db.session() as s:
        row = s.get(Item, row.id)
        row.text = BODY + "\nUpdated with a statement from the ministry spokesperson today."
        stage.process(s, row, ctx)
        assert row.story_id == story_id
    assert ctx.stats["fold/revised"] == 1


def test_a_teaser_alone_in_its_story_moves_when_its_article_text_arrives(db: Database) -> None:
    """Stored with its feed's one-line teaser, a copy cannot be recognised; when its article
    text is attached as a revision it is matched again and its story merged into the original's.
    An item that shares its story with others keeps it."""
    stage = FoldStage(SETTINGS)
    ctx = StageContext()
    with db.session() as s:
        wire, daily = source(s, "wire"), source(s, "daily")
        original = item(s, wire, "Lavrov and Araghchi discuss nuclear talks", BODY)
        run_stages([stage], s, original, ctx)
        teaser = item(s, daily, "Moscow hosts Tehran's top diplomat", "Read more.", hours=2)
        run_stages([stage], s, teaser, ctx)
        original_story, teaser_story = original.story_id, teaser.story_id
    assert original_story != teaser_story  # nothing to match on yet
    with db.session() as s:
        row = s.get(Item, teaser.id)
        assert row is not None
        row.text = "MOSCOW (TASS) – " + BODY.rsplit("\n", 1)[0]
        row.content_hash = None
        row.revision += 1
        run_stages([stage], s, row, ctx)
    with db.session() as s:
        moved = s.get(Item, teaser.id)
        assert moved is not None
        assert moved.story_id == original_story
        assert moved.story_role == "copy"
        assert s.get(Story, teaser_story) is None  # merged away, not left empty
        assert s.scalar(select(func.count()).select_from(Story)) == 1
    assert ctx.stats["fold/regrouped"] == 1
    # a revision of an item sharing its story with others leaves the story as it is
    with db.session() as s:
        row = s.get(Item, original.id)
        assert row is not None
        row.text = OTHER
        row.content_hash = None
        run_stages([stage], s, row, ctx)
        assert row.story_id == original_story
    assert ctx.stats["fold/regrouped"] == 1
    assert ctx.stats["fold/revised"] == 1


def test_a_revised_item_sharing_its_story_brings_the_story_its_new_text_matches(
    db: Database,
) -> None:
    """Two outlets' teasers of one article form a story; when the article text reaches one of
    them and it is a copy of a report in another story, the two stories become one."""
    stage = FoldStage(SETTINGS)
    ctx = StageContext()
    with db.session() as s:
        wire, daily, portal = source(s, "wire"), source(s, "daily"), source(s, "portal")
        original = item(s, wire, "Lavrov and Araghchi discuss nuclear talks", BODY)
        run_stages([stage], s, original, ctx)
        teaser = item(s, daily, "Moscow hosts Tehran's top diplomat", "Read more.", hours=2)
        run_stages([stage], s, teaser, ctx)
        echo = item(s, portal, "Moscow hosts Tehran's top diplomat", "Read more.", hours=3)
        run_stages([stage], s, echo, ctx)
        assert echo.story_id == teaser.story_id != original.story_id
        teaser_story = teaser.story_id
    with db.session() as s:
        row = s.get(Item, teaser.id)
        assert row is not None
        row.text = "MOSCOW (TASS) – " + BODY.rsplit("\n", 1)[0]
        row.content_hash = None
        row.revision += 1
        run_stages([stage], s, row, ctx)
    with db.session() as s:
        stories = {
            i: s.get(Item, i).story_id  # type: ignore[union-attr]
            for i in (original.id, teaser.id, echo.id)
        }
    assert set(stories.values()) == {teaser_story}
    assert ctx.stats["fold/merged"] == 1
