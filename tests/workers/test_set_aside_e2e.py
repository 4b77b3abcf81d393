"""A source whose crawl kills the crawl process every time is set aside, and only it.

One worker on real PostgreSQL and Redis; the test plays the crash: whenever a worker's crawl has
run for a while (only the slow source keeps it running), its process gets SIGKILL. After
``queue.max_deliveries`` attempts the slow source is set aside: the worker goes on, the other
sources are crawled once, `monitor status` lists it, `monitor worker --release` lets it go.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.config import QueueSettings
from monitor.db.models import CrawlRun, CrawlRunSource, Item, Source
from monitor.frontier import open_frontier
from monitor.newsite import Fault
from tests.workers.support import ENV, Proc, feed_outlets, wait_for, write_config

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]


def test_a_source_that_kills_its_crawl_is_set_aside_and_the_others_are_crawled(
    tmp_path: Path, pg_url: str, queue_settings: QueueSettings, news_site_factory
) -> None:
    site = news_site_factory(feed_outlets(4, 3))
    poison = site.outlets[0]
    site.set_fault(site.feed_url(poison.slug, "rss"), Fault(kind="slow", delay_s=120))
    cdir = tmp_path / "config"
    db = write_config(cdir, tmp_path, site, pg_url, queue_settings, max_deliveries=3)
    with db.session() as s:
        sources = {name: sid for sid, name in s.execute(select(Source.id, Source.name))}
    poison_id = next(sid for name, sid in sources.items() if poison.name in name)
    frontier = open_frontier(queue_settings)
    frontier.enqueue("c1", sorted((sid, name) for name, sid in sources.items()))
    worker = Proc(cdir, tmp_path / "worker.log", "worker", "--block-s", "0.5")
    kills = 0
    try:
        deadline = time.monotonic() + 150
        while not frontier.stats().set_aside:
            assert time.monotonic() < deadline, worker.log_text()[-4000:]
            assert worker.proc.poll() is None, worker.log_text()[-4000:]
            with db.session() as s:
                stuck = s.scalars(
                    select(CrawlRun).where(
                        CrawlRun.status == "running",
                        CrawlRun.started_at < datetime.now(UTC) - timedelta(seconds=2),
                    )
                ).all()
            for run in stuck:  # the crash: only the slow source keeps a crawl running this long
                try:
                    os.kill(run.pid, signal.SIGKILL)
                    kills += 1
                except ProcessLookupError:
                    pass
            time.sleep(0.3)

        def others_crawled() -> bool:
            with db.session() as s:
                crawled = set(
                    s.scalars(select(CrawlRunSource.source_id).where(CrawlRunSource.status == "ok"))
                )
            return crawled == set(sources.values()) - {poison_id}

        wait_for(others_crawled, 60, "the other sources to be crawled", worker)
        wait_for(lambda: frontier.stats().pending == 0, 30, "the frontier to settle", worker)
        assert worker.proc.poll() is None  # the worker itself never went down
        worker.signal(signal.SIGTERM)
        assert worker.wait(60) == 0, worker.log_text()[-3000:]
    finally:
        worker.cleanup()

    assert kills == 3  # crawled three times (alone after the first), then set aside
    [aside] = frontier.stats().set_aside
    assert (aside.source_id, aside.deliveries) == (poison_id, 3)
    assert "Source set aside" in worker.log_text()
    expected = sum(len(o.articles) for o in site.outlets[1:])
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Item)) == expected  # each once
        open_runs = s.scalar(
            select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "running")
        )
    assert open_runs == 0
    # the next cycle does not queue it again
    assert frontier.enqueue("c2", [(poison_id, poison.name)]).set_aside == 1

    def monitor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(cdir), *args],
            capture_output=True,
            text=True,
            env=ENV,
            cwd=str(tmp_path),
            timeout=60,
        )

    shown = monitor("status", "--json")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)["frontier"]
    assert [a["source_id"] for a in status["set_aside"]] == [poison_id]
    assert status["error"] is None
    text = monitor("status")
    assert "Set aside" in text.stdout
    assert "monitor worker --release" in text.stdout
    released = monitor("worker", "--release", str(poison_id))
    assert released.returncode == 0, released.stderr
    assert "Released 1 of 1" in released.stdout
    assert frontier.stats().set_aside == ()
    assert frontier.enqueue("c3", [(poison_id, poison.name)]).added == 1
    db.close()
