"""Upkeep against a real archive: retention, FTS optimise, vacuum, analyze."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from monitor.db import jobs as q
from monitor.db.engine import Database
from monitor.db.items import count_items
from monitor.db.models import Digest, DigestItem, Item, JobRun, Story
from monitor.scheduler.upkeep import run_upkeep
from tests.scheduler.helpers import add_item, add_source, make_config


def test_retention_deletes_only_old_irrelevant_items(db: Database, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=40)
    src = add_source(db)
    gone = [add_item(db, src, f"old-irr-{i}", relevant=False, seen=old) for i in range(3)]
    kept_new = add_item(db, src, "new-irr", relevant=False, seen=now - timedelta(days=2))
    kept_rel = add_item(db, src, "old-rel", relevant=True, seen=old)
    kept_unjudged = add_item(db, src, "old-none", relevant=None, seen=old)
    with db.session() as s:
        story = Story(title="s")
        s.add(story)
    in_story = add_item(db, src, "old-irr-story", relevant=False, seen=old, story_id=story.id)
    in_digest = add_item(db, src, "old-irr-digest", relevant=False, seen=old)
    with db.session() as s:
        d = Digest(recipient="r", address="r@example.org", message_id="<m1@test>")
        s.add(d)
        s.flush()
        s.add(DigestItem(digest_id=d.id, item_id=in_digest))
        # an old finished job run is pruned, the newest of its job is kept
        s.add(JobRun(job_id="crawl", started_at=now - timedelta(days=200), status="ok"))
        s.add(JobRun(job_id="crawl", started_at=now - timedelta(days=100), status="ok"))
        s.add(JobRun(job_id="upkeep", started_at=now - timedelta(days=300), status="ok"))

    config = make_config(tmp_path, retention={"irrelevant_days": 30})
    report = run_upkeep(config, db, now)

    assert report.deleted_items == 3
    assert report.pruned_job_runs == 1
    with db.session() as s:
        left = set(s.scalars(select(Item.id)))
        jobs = list(s.scalars(select(JobRun.job_id).order_by(JobRun.id)))
    assert left.isdisjoint(gone)
    assert {kept_new, kept_rel, kept_unjudged, in_story, in_digest} <= left
    assert jobs == ["crawl", "upkeep"]


def test_no_retention_when_unset(db: Database, tmp_path: Path) -> None:
    src = add_source(db)
    add_item(db, src, "ancient", relevant=False, seen=datetime.now(UTC) - timedelta(days=4000))
    report = run_upkeep(make_config(tmp_path), db, datetime.now(UTC))
    assert report.deleted_items == 0
    with db.session() as s:
        assert count_items(s) == 1


def test_sqlite_fts_optimize_and_vacuum_reclaims_space(sqlite_db: Database, tmp_path: Path) -> None:
    src = add_source(sqlite_db)
    old = datetime.now(UTC) - timedelta(days=60)
    for i in range(300):
        add_item(sqlite_db, src, f"k{i}", relevant=False, seen=old, summary="filler " * 200)
    path = Path(sqlite_db.engine.url.database or "")
    with sqlite_db.engine.connect() as conn:
        has_fts = q.has_table(conn, "items_fts")
    report = run_upkeep(
        make_config(tmp_path, retention={"irrelevant_days": 7}), sqlite_db, datetime.now(UTC)
    )
    assert report.deleted_items == 300
    assert report.fts_optimized is has_fts
    assert report.vacuum == "full"
    assert report.free_pages_before
    assert report.free_pages_before > 0
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA freelist_count")).scalar() == 0
        if has_fts:  # the index no longer finds the deleted text
            hits = conn.execute(
                text("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'filler'")
            )
            assert hits.scalar() == 0
    assert path.stat().st_size < 1_000_000
    # a second run has nothing to reclaim
    again = run_upkeep(make_config(tmp_path), sqlite_db, datetime.now(UTC))
    assert again.vacuum == "none"


def test_upkeep_on_postgres_or_sqlite_reports_optimise(db: Database, tmp_path: Path) -> None:
    report = run_upkeep(make_config(tmp_path), db, datetime.now(UTC))
    if db.dialect == "postgresql":
        assert report.analyzed is True
        with db.engine.connect() as conn:
            analyzed = conn.execute(
                text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'items'")
            ).scalar()
        assert analyzed is not None
    else:
        assert report.analyzed is False
        with db.session() as s:
            assert s.scalar(select(func.count(JobRun.id))) == 0
