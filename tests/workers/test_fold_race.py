"""Two workers storing two copies of one article at the same moment end with one story.

Each worker (here: a thread with its own writer and its own judge and fold stages, as a worker
process has) stores its copy in its own transaction on PostgreSQL, released together by a
barrier, many times over. Without serialised folding both would see no story yet and each start
one; the fold lock makes the second fold wait for the first to commit and join its story.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.collect.batches import BatchWriter, Stored
from monitor.collect.crawl import make_job
from monitor.collect.records import ArticleRecord, CollectedItem, FeedEntry, SourceJob
from monitor.collect.stages import default_stages
from monitor.config import (
    AppConfig,
    CrawlSettings,
    Settings,
    SourceConfig,
    load_config,
    shipped_outlets,
)
from monitor.db.engine import Database
from monitor.db.models import Item
from monitor.db.sources import add_source
from monitor.identity import entry_key
from monitor.paths import shipped_config_dir
from monitor.urls import canonicalize_url

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

ROUNDS = 30
BODY = (
    "Iran and Russia signed an agreement on the North-South transport corridor in Tehran on "
    "{day}, the foreign ministers said. The deal covers the Rasht-Astara railway, round {n}, "
    "with Russian credit of {amount} million euros. Officials in Moscow and Tehran said gas "
    "swaps and payments in national currencies were also discussed at length by the delegations."
)


def _item(job: SourceJob, n: int, when: datetime) -> CollectedItem:
    url = f"https://{job.name}.example.org/news/{n}.html"
    title = f"Iran and Russia sign corridor deal, round {n}"
    text = BODY.format(day=when.strftime("%d %B"), n=n, amount=100 + n)
    entry = FeedEntry(
        url=url,
        title=title,
        guid=f"{job.name}-{n}",
        summary=text[:120],
        text=text,
        published_at=when,
        date_quality="exact",
    )
    canonical = canonicalize_url(url)
    return CollectedItem(
        job.source_id,
        entry,
        canonical,
        entry_key(entry.guid, canonical, title, outlets=shipped_outlets()),
        ArticleRecord(url=url, text=text),
        "ok",
        looked_up_new=True,
    )


def test_two_workers_storing_one_article_at_once_make_one_story(
    tmp_path: Path, pg_url: str
) -> None:
    db = Database.open(pg_url)
    base = load_config(shipped_config_dir())
    config = AppConfig(
        config_dir=base.config_dir,
        settings=Settings(database_url=pg_url, data_dir=str(tmp_path)),
        sources=[],
    )
    with db.session() as s:
        jobs = [
            make_job(
                add_source(
                    s,
                    SourceConfig(
                        name=name,
                        url=f"https://{name}.example.org/rss.xml",
                        kind="rss",
                        language="en",
                    ),
                ),
                None,
                CrawlSettings(),
            )
            for name in ("wire-a", "wire-b")
        ]
    writers = [
        BatchWriter(
            db,
            run_id=None,
            jobs={j.source_id: j for j in jobs},
            stages=default_stages(config, db),
        )
        for _ in jobs
    ]
    barrier = threading.Barrier(2, timeout=30)
    results: dict[int, list[list[Stored]]] = {0: [], 1: []}
    errors: list[BaseException] = []
    start = datetime.now(UTC) - timedelta(days=1)

    def worker(k: int) -> None:
        try:
            for n in range(ROUNDS):
                item = _item(jobs[k], n, start + timedelta(minutes=n))
                barrier.wait()
                results[k].append(writers[k].store_batch([item]))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert all(r[0].outcome == "new" for k in (0, 1) for r in results[k])
    with db.session() as s:
        rows = s.execute(select(Item.title, Item.story_id, Item.relevant)).all()
        stories_per_title = dict(
            s.execute(
                select(Item.title, func.count(func.distinct(Item.story_id))).group_by(Item.title)
            ).all()
        )
    db.close()
    assert len(rows) == 2 * ROUNDS
    assert all(relevant for _, _, relevant in rows)  # judged as relevant, so both are folded
    assert all(story is not None for _, story, _ in rows)
    assert set(stories_per_title.values()) == {1}, stories_per_title
