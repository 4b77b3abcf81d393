"""End to end: SIGTERM stops `monitor crawl` early; the sources it never reached stay due."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from monitor.collect.tally import NOT_REACHED
from monitor.db.engine import Database
from monitor.db.models import CrawlRun, CrawlRunSource, FetchState, Item
from monitor.db.runs import select_sources
from monitor.newsite import Fault, NewsSite
from tests.collect.support import write_config

pytestmark = pytest.mark.slow


def _sources_done(tmp_path: Path) -> int:
    path = tmp_path / "archive.db"
    if not path.exists():
        return 0
    db = Database.open(f"sqlite:///{path}", migrate=False)
    try:
        with db.session() as s:
            return len(s.scalars(select(CrawlRunSource.id)).all())
    except OperationalError:  # the crawl has not created its tables yet
        return 0
    finally:
        db.close()


def test_sigterm_skips_unreached_sources_without_back_off(
    news_site: NewsSite, tmp_path: Path
) -> None:
    sources = news_site.source_configs()
    # one request at a time, every feed slow: SIGTERM comes after the first source is done
    cdir = write_config(tmp_path, sources, concurrent_requests=1, concurrent_requests_per_domain=1)
    for src in sources:
        news_site.set_fault(src.url, Fault(kind="slow", delay_s=2))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["NO_PROXY"] = "*"
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(cdir), "crawl", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not _sources_done(tmp_path):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "no source was done in time"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    db = Database.open(f"sqlite:///{tmp_path / 'archive.db'}", migrate=False)
    try:
        with db.session() as s:
            (run,) = s.scalars(select(CrawlRun)).all()
            assert run.status == "partial", (run.status, stderr[-2000:])
            rows = list(s.scalars(select(CrawlRunSource)))
            assert len(rows) == len(sources)
            skipped = [r for r in rows if r.status == "skipped"]
            assert skipped, [(r.status, r.messages) for r in rows]
            assert not [r for r in rows if r.status == "failed"]
            assert [r for r in rows if r.status == "ok"]
            for row in skipped:
                assert (row.errors, row.messages) == (0, [NOT_REACHED])
                state = s.get(FetchState, row.source_id)
                # no failure counted, no back-off: the fetch state is untouched
                assert state is None or (
                    state.consecutive_failures == 0
                    and state.next_due_at is None
                    and state.last_error is None
                )
            # the next `crawl --due` takes them at once
            due = {src.id for src, _ in select_sources(s, due_only=True, now=datetime.now(UTC))}
            assert {r.source_id for r in skipped} <= due
            # what was stored before the stop was judged in the same transaction
            assert s.scalar(select(Item.id).where(Item.relevant.is_(None))) is None
    finally:
        db.close()
