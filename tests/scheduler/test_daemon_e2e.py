"""`monitor run` end to end: real daemon processes, the local news site, a real SMTP server.

The daemon's clock is shifted with the hidden ``--clock-offset-s`` so a due time can be put a few
seconds ahead (or behind) without waiting for a real minute boundary; crawl intervals are set in
seconds with ``--crawl-every-s``.
"""

from __future__ import annotations

import itertools
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.models import FetchState, Item, JobRun
from monitor.newsite import Fault, NewsSite, demo_outlets
from tests.digest.support import SmtpServer, smtp_server
from tests.scheduler.daemon_support import (
    crawl_runs,
    daemon,
    due_minute,
    job_runs,
    offset_for,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.slow
FAST = ["--tick-s", "0.3", "--kill-grace-s", "1", "--stop-wait-s", "5"]


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite(demo_outlets()) as s:
        yield s


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def _finished(runs: list[JobRun]) -> list[JobRun]:
    return [r for r in runs if r.status not in ("running", "skipped")]


def _open(url: str) -> Database:
    return Database.open(url)


def test_stopped_across_due_time_sends_once_on_start_up(
    tmp_path: Path, site: NewsSite, smtp: SmtpServer
) -> None:
    due, hhmm = due_minute(0)
    cdir = tmp_path / "config"
    url = write_config(
        cdir,
        tmp_path,
        site,
        smtp.port,
        recipients=[
            {"name": "reader", "address": "reader@example.org", "schedule": f"daily {hhmm}",
             "skip_empty": False},
        ],
        schedule={"upkeep_cron": f"{due.minute} {due.hour} * * *"},
    )  # fmt: skip
    db = _open(url)
    args = [*FAST, "--crawl-every-s", "3600"]
    log = tmp_path / "daemon.log"

    # 1. running before the due time: yesterday's due time is long past the grace time → skipped
    with daemon(
        cdir, log, *args, "--clock-offset-s", str(offset_for(due - timedelta(seconds=40)))
    ) as d:
        wait_for(lambda: job_runs(db, "digest:reader"), 30, "the start-up digest check", d)
        assert d.stop() == 0
    assert [r.status for r in job_runs(db, "digest:reader")] == ["skipped"]
    assert smtp.handler.received == []

    # 2. stopped across the due time, started 90 s after it: sent once at start-up
    late = ["--clock-offset-s", str(offset_for(due + timedelta(seconds=90)))]
    with daemon(cdir, log, *args, *late) as d:
        runs = wait_for(lambda: _finished(job_runs(db, "digest:reader")), 60, "the digest", d)
        wait_for(lambda: _finished(job_runs(db, "upkeep")), 30, "upkeep", d)
        assert d.stop() == 0
    assert [r.status for r in runs] == ["ok"], d.log_text()[-3000:]
    assert runs[0].detail["due_at"] == due.isoformat()
    assert runs[0].detail["exit_code"] == 0
    assert len(smtp.handler.received) == 1
    assert smtp.handler.received[0]["To"] == "reader@example.org"

    # 3. restarted again after the same due time: nothing more is sent or run
    with daemon(cdir, log, *args, *late) as d:
        wait_for(lambda: len(job_runs(db, "daemon")) == 3, 20, "the third daemon", d)
        d_runs = wait_for(lambda: _finished(job_runs(db, "crawl")), 60, "the start-up crawl", d)
        assert d_runs
        assert d.stop() == 0
    assert len(smtp.handler.received) == 1
    assert [r.status for r in job_runs(db, "digest:reader")] == ["skipped", "ok"]
    assert [r.status for r in job_runs(db, "upkeep")] == ["skipped", "ok"]
    assert [r.status for r in job_runs(db, "daemon")] == ["ok", "ok", "ok"]
    db.close()


def test_crawls_on_interval_and_due_digest_sent_once(
    tmp_path: Path, site: NewsSite, smtp: SmtpServer
) -> None:
    due, hhmm = due_minute(0)
    cdir = tmp_path / "config"
    url = write_config(
        cdir,
        tmp_path,
        site,
        smtp.port,
        recipients=[
            {"name": "reader", "address": "reader@example.org", "schedule": f"daily {hhmm}",
             "skip_empty": False},
        ],
    )  # fmt: skip
    db = _open(url)
    every = 3.0
    # the daemon starts 8 s (its clock) before the digest is due
    offset = offset_for(due - timedelta(seconds=8))
    with daemon(cdir, tmp_path / "d.log", *FAST, "--crawl-every-s", str(every),
                "--clock-offset-s", str(offset)) as d:  # fmt: skip
        sent = wait_for(lambda: _finished(job_runs(db, "digest:reader")), 40, "the digest", d)
        wait_for(lambda: len(_finished(job_runs(db, "crawl"))) >= 2, 60, "two crawls", d)
        time.sleep(1.5)  # a few more ticks: still one digest
        assert d.stop() == 0
    crawls = _finished(job_runs(db, "crawl"))
    # a crawl that the stop itself interrupted may end "aborted"; every earlier one is ok
    *before_stop, last = crawls
    assert all(r.status == "ok" for r in before_stop), [(r.status, r.detail) for r in crawls]
    assert last.status in {"ok", "aborted"}, (last.status, last.detail)
    assert sum(r.status == "ok" for r in crawls) >= 2
    starts = [r.started_at for r in crawls]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    assert all(g >= every - 0.5 for g in gaps), gaps
    # every crawl job made a crawl run, except one stopped before its child got that far
    assert len(crawl_runs(db)) >= len(crawls) - (last.status == "aborted")
    assert sent
    assert [r.status for r in job_runs(db, "digest:reader")] == ["skipped", "ok"]
    assert len(smtp.handler.received) == 1
    with db.session() as s:
        items = s.scalar(select(func.count(Item.id))) or 0
    assert items > 0
    db.close()


def test_hung_crawl_is_killed_recorded_and_next_crawl_runs(tmp_path: Path, site: NewsSite) -> None:
    cdir = tmp_path / "config"
    url = write_config(
        cdir, tmp_path, site, 25, crawl={"run_time_limit_s": 10, "download_timeout_s": 120}
    )
    hung = site.source_configs()[0].url
    site.set_fault(hung, Fault(kind="timeout", hang_s=300))
    db = _open(url)
    with daemon(cdir, tmp_path / "d.log", *FAST, "--crawl-every-s", "3") as d:
        killed = wait_for(
            lambda: [r for r in job_runs(db, "crawl") if r.status == "killed"],
            40,
            "a killed crawl",
            d,
        )
        site.clear_faults()
        after = wait_for(
            lambda: [r for r in job_runs(db, "crawl") if r.id > killed[0].id and r.status == "ok"],
            40,
            "the next crawl",
            d,
        )
        assert d.stop() == 0
    k = killed[0]
    assert k.detail["signals"][0] == "SIGTERM"
    assert 10 <= (k.finished_at - k.started_at).total_seconds() < 20  # type: ignore[operator]
    runs = {r.pid: r for r in crawl_runs(db)}
    assert runs[k.detail["pid"]].status == "killed"
    assert "time limit" in runs[k.detail["pid"]].message
    assert runs[after[0].detail["pid"]].status in ("ok", "partial")
    assert all(r.status != "running" for r in crawl_runs(db))
    db.close()


def test_sigterm_during_crawl_exits_cleanly_and_next_start_continues(
    tmp_path: Path, site: NewsSite
) -> None:
    cdir = tmp_path / "config"
    # one request at a time, each slow: the crawl is still going when SIGTERM comes
    url = write_config(
        cdir,
        tmp_path,
        site,
        25,
        crawl={"concurrent_requests": 1, "concurrent_requests_per_domain": 1},
    )
    for src in site.source_configs()[1:]:
        site.set_fault(src.url, Fault(kind="slow", delay_s=3))
    db = _open(url)
    args = ["--tick-s", "0.3", "--kill-grace-s", "15", "--crawl-every-s", "3600"]
    with daemon(cdir, tmp_path / "d.log", *args) as d:
        wait_for(
            lambda: [r for r in crawl_runs(db) if r.status == "running"], 40, "a running crawl", d
        )
        wait_for(lambda: site.requests, 30, "the crawl's first request", d)
        assert d.stop(signal.SIGTERM, timeout=40) == 0
    assert all(r.status != "running" for r in crawl_runs(db))
    assert all(r.status != "running" for r in job_runs(db, "crawl"))
    (aborted,) = job_runs(db, "crawl")
    assert aborted.status == "aborted"
    # the crawl child shut down on SIGTERM by itself (Scrapy's graceful stop), no SIGKILL needed
    assert aborted.detail["signals"] == ["SIGTERM"], aborted.detail
    with db.session() as s:
        # nothing half-written: every stored item went through the judge in its own transaction
        assert s.scalar(select(func.count(Item.id)).where(Item.relevant.is_(None))) == 0
        before = s.scalar(select(func.count(Item.id))) or 0
    site.clear_faults()
    with daemon(cdir, tmp_path / "d.log", *FAST, "--crawl-every-s", "3600") as d:
        wait_for(lambda: _finished(job_runs(db, "crawl")[1:]), 60, "the next crawl", d)
        assert d.stop() == 0
    assert job_runs(db, "crawl")[-1].status == "ok"
    with db.session() as s:
        after = s.scalar(select(func.count(Item.id))) or 0
        fetched = s.scalar(select(func.count()).where(FetchState.last_success_at.is_not(None)))
    assert after >= before > 0  # nothing stored before the stop was lost
    assert fetched
    first = crawl_runs(db)[0]
    assert first.status != "running"
    assert first.sources_ok < first.sources_total  # the stop did interrupt the crawl
    assert all(r.status != "running" for r in crawl_runs(db))
    assert [r.status for r in job_runs(db, "daemon")] == ["ok", "ok"]
    db.close()
