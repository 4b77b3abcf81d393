"""Crawl run bookkeeping: one crawl per archive, runs of killed crawls closed, a reused pid not
mistaken for a live crawl."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from monitor.db.engine import Database
from monitor.db.jobs import process_start_ticks
from monitor.db.models import CrawlRun
from monitor.newsite import Fault, NewsSite
from monitor.scheduler.jobs import JobRunner, RunOptions
from tests.collect.support import run_monitor, write_config
from tests.scheduler.helpers import dead_pid, make_config


def _runs(db_file: Path) -> list[CrawlRun]:
    if not db_file.exists():
        return []
    db = Database.open(f"sqlite:///{db_file}", migrate=False)
    try:
        with db.session() as s:
            return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    except OperationalError:  # tables not there yet
        return []
    finally:
        db.close()


@pytest.mark.slow
def test_a_second_crawl_is_refused_and_a_killed_crawl_is_closed_by_the_next(
    news_site: NewsSite, tmp_path: Path
) -> None:
    source = news_site.source_configs()[0]
    cdir = write_config(tmp_path, [source], download_timeout_s=30)
    news_site.set_fault(source.url, Fault(kind="slow", delay_s=20))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["NO_PROXY"] = "*"
    first = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(cdir), "crawl", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    db_file = tmp_path / "archive.db"
    try:
        deadline = time.monotonic() + 60
        while not _runs(db_file):
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline, "the first crawl did not start"
            time.sleep(0.1)
        time.sleep(1.0)  # the first crawl now waits for the slow feed
        # a second crawl of the same archive while the first one waits
        second = run_monitor(cdir, "crawl", "--json")
        assert second.returncode != 0
        assert "another crawl of this archive is running" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert len(news_site.requests_for(source.url)) <= 1  # the second fetched nothing
    finally:
        first.send_signal(signal.SIGKILL)  # no clean-up of any kind
        first.communicate(timeout=30)
    (killed,) = _runs(db_file)
    assert killed.status == "running"  # what kill -9 leaves behind

    news_site.clear_faults(source.url)
    third = run_monitor(cdir, "crawl", "--json")
    assert third.returncode == 0, third.stderr[-2000:]
    closed, done = _runs(db_file)
    assert closed.id == killed.id
    assert closed.status == "aborted"
    assert closed.finished_at is not None
    assert "closed by the next crawl" in closed.message
    assert done.status == "ok"


def _running_row(db: Database, *, pid: int, started: int | None, host: str | None = None) -> int:
    with db.session() as s:
        run = CrawlRun(
            status="running",
            pid=pid,
            started_at=datetime.now(UTC),
            options={
                "process": {"host": host or socket.gethostname(), "pid": pid, "started": started}
            },
        )
        s.add(run)
        s.flush()
        return run.id


def test_the_daemon_compares_process_start_times(db: Database, tmp_path: Path) -> None:
    """A crawl row whose pid now belongs to another process (pid reuse) does not block."""
    runner = JobRunner(make_config(tmp_path), db, RunOptions(), threading.Event())
    me = os.getpid()
    ticks = process_start_ticks(me)
    assert ticks is not None
    reused = _running_row(db, pid=me, started=ticks + 4242)  # same pid, another process
    assert runner.crawl_blocker() is None
    with db.session() as s:
        row = s.get(CrawlRun, reused)
        assert row is not None
        assert row.status == "aborted"
    live = _running_row(db, pid=me, started=ticks)  # this very process: a live crawl
    blocker = runner.crawl_blocker()
    assert blocker is not None
    assert f"crawl run {live}" in blocker


def test_claims_close_dead_runs_and_only_one_of_two_wins(db: Database) -> None:
    from monitor.db.crawl_guard import claim_crawl_run

    gone = _running_row(db, pid=dead_pid(), started=1)
    elsewhere = _running_row(db, pid=1, started=1, host="another-host.example")
    now = datetime.now(UTC)
    barrier = threading.Barrier(2)
    results: list[int | None] = []
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            barrier.wait()
            with db.session() as s:
                c = claim_crawl_run(
                    s, trigger="cli", options={}, sources_total=1, now=now, stale_after_s=3600
                )
                results.append(c.run.id if c.run else None)
        except BaseException as exc:  # reported below
            errors.append(exc)

    # a live run on another host (a shared archive) blocks both
    threads = [threading.Thread(target=claim) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [None, None]
    with db.session() as s:
        assert s.get(CrawlRun, gone).status == "aborted"  # type: ignore[union-attr]
        other = s.get(CrawlRun, elsewhere)
        assert other is not None
        assert other.status == "running"
        other.started_at = now - timedelta(hours=2)  # older than stale_after_s: stale too
    results.clear()
    threads = [threading.Thread(target=claim) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results.count(None) == 1
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    with db.session() as s:
        running = s.scalars(select(CrawlRun.id).where(CrawlRun.status == "running")).all()
        assert running == winners
