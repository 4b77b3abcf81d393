"""A worker's crawl process: one for every batch, and stopped cleanly when the worker drains.

Real PostgreSQL, Redis and processes: the sources are queued straight into the frontier (no
scheduler), one ``monitor worker`` crawls them in batches of two.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.config import QueueSettings
from monitor.db.models import CrawlRun, CrawlRunSource, Source
from monitor.frontier import open_frontier
from monitor.newsite import Fault
from tests.workers.support import Proc, feed_outlets, parent_pid, wait_for, write_config

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]


def _queue_all(db, queue_settings: QueueSettings) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        sources = list(s.execute(select(Source.id, Source.name).order_by(Source.name)))
    return open_frontier(queue_settings).enqueue("test", [(i, n) for i, n in sources]).added


def test_one_crawl_process_crawls_every_batch(
    tmp_path: Path, pg_url: str, queue_settings: QueueSettings, news_site_factory
) -> None:
    site = news_site_factory(feed_outlets(6, 2))
    cdir = tmp_path / "config"
    db = write_config(cdir, tmp_path, site, pg_url, queue_settings, batch_sources=2)
    worker = Proc(cdir, tmp_path / "worker.log", "worker")
    try:
        wait_for(lambda: "Worker started" in worker.log_text(), 60, "the worker", worker)
        assert _queue_all(db, queue_settings) == 6

        def all_done() -> bool:
            with db.session() as s:
                done = s.scalar(select(func.count(func.distinct(CrawlRunSource.source_id))))
                running = s.scalar(
                    select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "running")
                )
            return done == 6 and running == 0

        wait_for(all_done, 120, "every source to be crawled", worker)
        with db.session() as s:
            runs = list(s.execute(select(CrawlRun.pid, CrawlRun.status)))
        pids = {pid for pid, _ in runs}
        assert len(runs) >= 3  # batches of at most two (the first may come while queueing)
        assert {status for _, status in runs} == {"ok"}
        assert len(pids) == 1  # one crawl process for all of them
        assert parent_pid(pids.pop()) == worker.pid
        worker.signal(signal.SIGTERM)
        assert worker.wait(30) == 0, worker.log_text()[-3000:]
        assert worker.log_text().count("Crawl process started") == 1
        assert "Crawl process ended" in worker.log_text()
        assert "did not end" not in worker.log_text()  # the worker's close ended it
    finally:
        worker.cleanup()


def test_a_draining_worker_stops_its_crawl_on_sigterm_and_settles_the_batch(
    tmp_path: Path, pg_url: str, queue_settings: QueueSettings, news_site_factory
) -> None:
    site = news_site_factory(feed_outlets(4, 1))
    for outlet in site.outlets:  # slowly: the drain time passes mid-batch
        site.set_fault(site.feed_url(outlet.slug, "rss"), Fault(kind="slow", delay_s=3))
    cdir = tmp_path / "config"
    db = write_config(cdir, tmp_path, site, pg_url, queue_settings, batch_sources=4, drain_s=1)
    _queue_all(db, queue_settings)  # before the worker starts: one batch of all four
    worker = Proc(cdir, tmp_path / "worker.log", "worker")
    try:

        def crawling() -> bool:
            with db.session() as s:
                return bool(
                    s.scalar(
                        select(func.count())
                        .select_from(CrawlRun)
                        .where(CrawlRun.status == "running")
                    )
                )

        wait_for(crawling, 60, "the crawl", worker)
        worker.signal(signal.SIGTERM)
        assert worker.wait(60) == 0, worker.log_text()[-3000:]
    finally:
        worker.cleanup()
    log = worker.log_text()
    assert "Stopping crawl" in log  # it was stopped mid-batch
    assert "ignored SIGTERM" not in log  # and stopped on SIGTERM, not killed
    with db.session() as s:
        statuses = list(s.execute(select(CrawlRun.status)).scalars())
        done = s.scalar(
            select(func.count())
            .select_from(CrawlRunSource)
            .where(CrawlRunSource.status != "skipped")
        )
    assert len(statuses) == 1
    assert statuses[0] in {"ok", "partial"}  # closed with its outcome, not left running
    stats = open_frontier(queue_settings).stats()
    assert stats.pending == 0  # nothing held
    assert done + stats.length == 4  # each source crawled, or given back for the next worker
