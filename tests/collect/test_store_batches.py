"""Storing in batches and the end-of-crawl bookkeeping, on a real archive (SQLite and PostgreSQL).

The collector writes items in small all-or-nothing batches; the judge and fold stages must decide
exactly as they do one item per transaction. A source the crawl never reached is ``skipped``:
no failure, no back-off, its due time kept.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.collect.collector import Collector
from monitor.collect.crawl import _run_status, make_job
from monitor.collect.records import ArticleRecord, CollectedItem, FeedEntry, SourceJob
from monitor.collect.stages import default_stages
from monitor.collect.tally import NOT_REACHED
from monitor.config import (
    AppConfig,
    CrawlSettings,
    Settings,
    SourceConfig,
    load_config,
    shipped_outlets,
)
from monitor.db.engine import Database
from monitor.db.models import CrawlRunSource, FetchState, Item, Source
from monitor.db.read.items import item_detail
from monitor.db.runs import fetch_state, select_sources, start_run
from monitor.db.sources import add_source
from monitor.identity import entry_key
from monitor.newsite import demo_outlets, generate_outlets
from monitor.paths import shipped_config_dir
from monitor.pipeline import StageContext
from monitor.urls import canonicalize_url


def _setup(db: Database, names: list[str], **kwargs: object) -> tuple[Collector, list[SourceJob]]:
    with db.session() as s:
        jobs = []
        for name in names:
            src = add_source(
                s,
                SourceConfig(
                    name=name, url=f"https://{name}.example.org/rss.xml", kind="rss", language="en"
                ),
            )
            jobs.append(make_job(src, None, CrawlSettings()))
        run = start_run(
            s, trigger="cli", options={}, sources_total=len(jobs), pid=0, now=datetime.now(UTC)
        )
    return Collector(db, CrawlSettings(), jobs, run_id=run.id, **kwargs), jobs  # type: ignore[arg-type]


def _entry_item(job: SourceJob, n: int, title: str, text: str = "") -> CollectedItem:
    url = f"https://{job.name}.example.org/news/{n}.html"
    entry = FeedEntry(url=url, title=title, guid=f"{job.name}-{n}", summary=f"Teaser {n}")
    canonical = canonicalize_url(url)
    article = ArticleRecord(url=url, text=text) if text else None
    return CollectedItem(
        job.source_id,
        entry,
        canonical,
        entry_key(entry.guid, canonical, title, outlets=shipped_outlets()),
        article,
        "ok" if text else "none",
        looked_up_new=True,
    )


class FailOn:
    """A stage that fails on one title (a bug in a stage, or a row the database refuses)."""

    name = "fail-on"

    def __init__(self, title: str) -> None:
        self.title = title

    def process(self, session: Session, item: Item, ctx: StageContext) -> None:
        ctx.stats["fail-on/seen"] += 1
        if item.title == self.title:
            raise RuntimeError("stage refused the item")


def _titles(db: Database) -> list[str]:
    with db.session() as s:
        return sorted(s.scalars(select(Item.title)))


def test_items_wait_in_a_batch_and_their_source_stays_open_until_it_is_stored(
    db: Database,
) -> None:
    collector, (job,) = _setup(db, ["alpha"], batch_size=3)
    with collector.ledger.step(job.source_id, stage="feeds", main=True):  # the feed response
        collector.tally(job.source_id).main_response(200, None, None)
        for n in range(2):
            collector.ledger.hold(job.source_id)
            collector.submit(_entry_item(job, n, f"Story {n}"))
    # the feed is done, its two items are not stored yet
    assert _titles(db) == []
    assert not collector.ledger.is_done(job.source_id)

    collector.flush(stale_only=True)  # not waited long enough
    assert _titles(db) == []
    collector.flush()
    assert _titles(db) == ["Story 0", "Story 1"]
    tally = collector.tally(job.source_id)
    assert collector.ledger.is_done(job.source_id)
    assert tally.status == "ok"
    assert tally.new == 2

    # a full batch is written at once
    collector2, (job2,) = _setup(db, ["beta"], batch_size=2)
    for n in range(2):
        collector2.ledger.hold(job2.source_id)
        collector2.submit(_entry_item(job2, n, f"Beta {n}"))
    assert "Beta 0" in _titles(db)
    assert "Beta 1" in _titles(db)


def test_a_failing_item_costs_only_itself_and_leaves_nothing_half_written(
    db: Database,
) -> None:
    collector, (job,) = _setup(db, ["gamma"], stages=[FailOn("Bad")], batch_size=10)
    titles = ["Good 1", "Bad", "Good 2", "Good 3"]
    for n, title in enumerate(titles):
        collector.ledger.hold(job.source_id)
        collector.submit(_entry_item(job, n, title))
    collector.finish()
    assert _titles(db) == ["Good 1", "Good 2", "Good 3"]  # the bad item's row went with it
    tally = collector.tally(job.source_id)
    assert (tally.new, tally.errors) == (3, 1)
    assert any("stage refused the item" in m for m in tally.messages)
    # the rolled-back batch's stage counts were dropped: each stored item counted once
    assert collector.writer.ctx.stats["fail-on/seen"] == 3


def test_batches_decide_exactly_like_one_item_per_transaction(tmp_path: Path) -> None:
    base = load_config(shipped_config_dir())
    outlets = [*demo_outlets(), *generate_outlets(n_outlets=3, items_per_feed=10, seed=7)]

    def store_all(name: str, batch_size: int) -> dict[str, tuple[object, ...]]:
        db = Database.open(f"sqlite:///{tmp_path / name}")
        config = AppConfig(
            config_dir=base.config_dir,
            settings=Settings(database_url=str(db.engine.url), data_dir=str(tmp_path)),
            sources=[],
        )
        collector, jobs = _setup(
            db,
            [o.slug for o in outlets],
            stages=default_stages(config, db),
            batch_size=batch_size,
        )
        for job, outlet in zip(jobs, outlets, strict=True):
            for n, art in enumerate(outlet.articles):
                collector.ledger.hold(job.source_id)
                collector.submit(_entry_item(job, n, art.title, "\n\n".join(art.body)))
        collector.finish()
        with db.session() as s:
            rows = s.execute(select(Item, Source.name).join(Source)).all()
            stories: dict[int | None, set[str]] = {}
            for item, _ in rows:
                stories.setdefault(item.story_id, set()).add(item.guid or "")
            out = {
                item.guid or "": (
                    item.relevant,
                    item.score,
                    item.language,
                    item.story_role,
                    frozenset(stories[item.story_id]) if item.story_id else None,
                    frozenset((t.kind, t.value) for t in item.tags),
                )
                for item, _ in rows
            }
        db.close()
        return out

    one_by_one = store_all("single.db", 1)
    batched = store_all("batched.db", 25)
    assert len(one_by_one) == sum(len(o.articles) for o in outlets)
    assert any(v[0] for v in one_by_one.values())  # some items are relevant
    assert any(v[3] == "copy" for v in one_by_one.values())  # and some were folded as copies
    assert batched == one_by_one


def test_sources_never_reached_are_skipped_without_failure_or_back_off(db: Database) -> None:
    collector, (done, unreached) = _setup(db, ["reached", "unreached"])
    due = datetime.now(UTC) - timedelta(minutes=5)
    with db.session() as s:
        state = fetch_state(s, unreached.source_id)
        state.next_due_at = due
        state.consecutive_failures = 0
    # the first source is fetched and done; the crawl stops before the second is requested
    with collector.ledger.step(done.source_id, stage="feeds", main=True):
        collector.tally(done.source_id).main_response(200, None, None)
    collector.finish()

    tally = collector.tally(unreached.source_id)
    assert tally.status == "skipped"
    assert tally.errors == 0
    totals = collector.totals()
    assert (totals["sources_ok"], totals["sources_failed"], totals["sources_skipped"]) == (1, 0, 1)
    assert _run_status(totals) == "partial"
    with db.session() as s:
        row = s.scalar(
            select(CrawlRunSource).where(CrawlRunSource.source_id == unreached.source_id)
        )
        assert row is not None
        assert (row.status, row.errors, row.messages) == ("skipped", 0, [NOT_REACHED])
        state = s.get(FetchState, unreached.source_id)
        assert state is not None
        assert state.consecutive_failures == 0
        assert state.last_error is None
        assert state.last_attempt_at is None
        assert state.next_due_at is not None
        kept = state.next_due_at
        kept = kept.replace(tzinfo=UTC) if kept.tzinfo is None else kept.astimezone(UTC)
        assert abs(kept - due) < timedelta(seconds=1)
        # still due: the next `crawl --due` takes it
        due_now = select_sources(s, due_only=True, now=datetime.now(UTC))
        assert unreached.source_id in {src.id for src, _ in due_now}
        assert done.source_id not in {src.id for src, _ in due_now}


def test_an_unreadable_date_is_stored_as_missing_with_the_sources_own_string(
    db: Database,
) -> None:
    collector, (job,) = _setup(db, ["delta"], batch_size=1)
    item = _entry_item(job, 1, "Dated oddly")
    entry = replace(
        item.entry, published_at=None, date_quality="unparseable", date_text="2024-13-45T25:61:61Z"
    )
    collector.ledger.hold(job.source_id)
    collector.submit(replace(item, entry=entry))
    collector.finish()
    with db.session() as s:
        row = s.scalars(select(Item).where(Item.title == "Dated oddly")).one()
        assert (row.published_at, row.date_quality) == (None, "unparseable")
        assert row.date_text == "2024-13-45T25:61:61Z"
        detail = item_detail(s, row.id)
    assert detail is not None
    assert detail.date_text == "2024-13-45T25:61:61Z"
