"""Three workers and two schedulers on loopback, with real PostgreSQL, Redis and signals.

A worker is killed with SIGKILL in the middle of a crawl and the leading scheduler is killed too:
every source is still crawled once in the cycle, every item stored exactly once, the standby
takes over within 30 s, and no crawl run is left open.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.config import QueueSettings
from monitor.db.models import CrawlRun, CrawlRunSource, Item, JobRun, Source
from monitor.frontier import open_frontier
from monitor.newsite import Fault
from tests.workers.support import Proc, feed_outlets, parent_pid, pid_gone, wait_for, write_config

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

OUTLETS = 12
ITEMS = 6


def _counts(db, model, *where):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_workers_share_the_crawl_through_a_kill_of_a_worker_and_of_the_leader(
    tmp_path: Path, pg_url: str, queue_settings: QueueSettings, news_site_factory
) -> None:
    site = news_site_factory(feed_outlets(OUTLETS, ITEMS))
    for outlet in site.outlets:  # slow answers: a worker is surely killed mid-crawl
        site.set_fault(site.feed_url(outlet.slug, "rss"), Fault(kind="slow", delay_s=1.5))
    cdir = tmp_path / "config"
    db = write_config(cdir, tmp_path, site, pg_url, queue_settings, batch_sources=2)
    sources = _counts(db, Source)
    assert sources == OUTLETS
    run_args = ("run", "--tick-s", "0.5", "--crawl-every-s", "2")
    procs: list[Proc] = []
    try:
        leader = Proc(cdir, tmp_path / "leader.log", *run_args)
        procs.append(leader)
        wait_for(lambda: "Leading" in leader.log_text(), 60, "the first scheduler to lead", leader)
        standby = Proc(cdir, tmp_path / "standby.log", *run_args)
        procs.append(standby)
        wait_for(lambda: "Standby" in standby.log_text(), 60, "a standby scheduler", standby)
        workers = [Proc(cdir, tmp_path / f"worker{i}.log", "worker") for i in range(3)]
        procs += workers

        def running_worker_run() -> CrawlRun | None:
            with db.session() as s:
                return s.scalars(
                    select(CrawlRun).where(
                        CrawlRun.status == "running", CrawlRun.trigger == "worker"
                    )
                ).first()

        run = wait_for(running_worker_run, 90, "a worker's crawl", *procs)
        child = run.pid
        victim = next(w for w in workers if w.pid == parent_pid(child))
        victim.signal(signal.SIGKILL)
        victim.wait(10)
        wait_for(lambda: pid_gone(child), 10, "the killed worker's crawl to die with it")

        leader.signal(signal.SIGKILL)
        leader.wait(10)
        killed_at = time.monotonic()
        wait_for(lambda: "Leading" in standby.log_text(), 30, "the standby to take over", standby)
        assert time.monotonic() - killed_at < 30

        def all_crawled() -> bool:
            with db.session() as s:
                done = s.scalar(
                    select(func.count(func.distinct(CrawlRunSource.source_id))).where(
                        CrawlRunSource.status != "skipped"
                    )
                )
            return done == sources

        wait_for(all_crawled, 120, "every source to be crawled", *procs)
        frontier = open_frontier(queue_settings)
        wait_for(lambda: frontier.stats().pending == 0, 30, "the frontier to drain", *procs)

        alive = [w for w in workers if w is not victim]
        for p in [*alive, standby]:
            p.signal(signal.SIGTERM)
        for p in [*alive, standby]:
            assert p.wait(60) == 0, p.log_text()[-3000:]
    finally:
        for p in procs:
            p.cleanup()

    expected_items = sum(len(o.articles) for o in site.outlets)
    assert _counts(db, Item) == expected_items  # every item stored exactly once
    with db.session() as s:
        per_source = dict(
            s.execute(
                select(CrawlRunSource.source_id, func.count())
                .where(CrawlRunSource.status != "skipped")
                .group_by(CrawlRunSource.source_id)
            ).all()
        )
        statuses = set(s.scalars(select(CrawlRunSource.status)))
        open_runs = s.scalar(
            select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "running")
        )
        open_jobs = s.scalar(
            select(func.count()).select_from(JobRun).where(JobRun.status == "running")
        )
        aborted = s.scalar(
            select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "aborted")
        )
    assert len(per_source) == sources  # every due source crawled
    assert set(per_source.values()) == {1}, per_source  # by one worker in this cycle
    assert statuses <= {"ok", "skipped"}, statuses
    assert open_runs == 0  # no run left open: the killed worker's run was closed
    assert aborted >= 1
    assert open_jobs == 0
    stats = frontier.stats()
    assert (stats.length, stats.pending) == (0, 0)
    db.close()
