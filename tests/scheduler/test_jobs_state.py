"""Due-time decisions and the database guards, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.db import jobs as q
from monitor.db.engine import Database
from monitor.db.models import CrawlRun, JobRun
from monitor.scheduler.jobs import JobRunner, RunOptions, decide
from monitor.schedules import parse_schedule
from tests.scheduler.helpers import dead_pid, make_config, utc

DAILY7 = parse_schedule("daily 07:00")


@pytest.mark.parametrize(
    ("last_due", "now", "action", "due"),
    [
        pytest.param(None, utc(2025, 5, 2, 7, 10), "run", utc(2025, 5, 2, 7), id="first due within grace"),
        pytest.param(None, utc(2025, 5, 2, 9, 0), "skip_late", utc(2025, 5, 2, 7), id="first due too late"),
        pytest.param(utc(2025, 5, 1, 7), utc(2025, 5, 2, 7, 0, 1), "run", utc(2025, 5, 2, 7), id="next day"),
        pytest.param(utc(2025, 5, 2, 7), utc(2025, 5, 2, 7, 30), "none", utc(2025, 5, 2, 7), id="already handled"),
        pytest.param(utc(2025, 5, 1, 7), utc(2025, 5, 2, 6, 59), "none", utc(2025, 5, 1, 7), id="before due"),
        pytest.param(utc(2025, 4, 20, 7), utc(2025, 5, 2, 7, 5), "run", utc(2025, 5, 2, 7), id="many missed: one run"),
    ],
)  # fmt: skip
def test_decide(last_due: datetime | None, now: datetime, action: str, due: datetime) -> None:
    decision = decide(DAILY7, "UTC", last_due, now, grace_s=3600)
    assert (decision.action, decision.due_at) == (action, due)


def test_claim_due_is_compare_and_set(db: Database) -> None:
    d1, d2 = utc(2025, 5, 1, 7), utc(2025, 5, 2, 7)
    with db.session() as s:
        assert q.claim_due(s, "alice", d1)  # creates the row
    with db.session() as s:
        assert not q.claim_due(s, "alice", d1)  # same due time: already claimed
        assert q.claim_due(s, "alice", d2)
        assert not q.claim_due(s, "alice", d1)  # never backwards
    with db.session() as s:
        assert q.recipient_last_due(s, "alice") == d2
        assert q.release_due(s, "alice", d2, d1)
        assert not q.release_due(s, "alice", d2, d1)  # only the holder's due time is released
        assert q.recipient_last_due(s, "alice") == d1


def test_claim_due_from_threads_has_one_winner(db: Database) -> None:
    due = utc(2025, 5, 2, 7)
    with db.session() as s:
        q.claim_due(s, "bob", utc(2025, 5, 1, 7))
    wins: list[bool] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        barrier.wait()
        with db.session() as s:
            wins.append(q.claim_due(s, "bob", due))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False, False, False, True]


def test_crawl_blocker_live_and_stale_runs(db: Database, tmp_path: Path) -> None:
    runner = JobRunner(make_config(tmp_path), db, RunOptions(), threading.Event())
    now = datetime.now(UTC)
    with db.session() as s:
        stale = CrawlRun(status="running", pid=dead_pid(), started_at=now - timedelta(minutes=2))
        s.add(stale)
    assert runner.crawl_blocker() is None
    with db.session() as s:
        closed = s.get(CrawlRun, stale.id)
        assert closed is not None
        assert closed.status == "aborted"
        assert "process is gone" in closed.message
        live = CrawlRun(status="running", pid=os.getpid(), started_at=now)
        s.add(live)
    blocker = runner.crawl_blocker()
    assert blocker is not None
    assert f"pid {os.getpid()}" in blocker
    # the blocked crawl is recorded as skipped, not started
    assert runner.run_crawl() is None
    with db.session() as s:
        run = q.latest_job_run(s, "crawl")
        assert run is not None
        assert run.status == "skipped"


def test_close_orphaned_job_runs(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as s:
        orphan = q.start_job_run(s, "crawl", now, {"daemon_pid": dead_pid()})
        mine = q.start_job_run(s, "crawl", now, {"daemon_pid": os.getpid()})

        def alive(run: JobRun) -> bool:
            return q.pid_alive(run.detail.get("daemon_pid"))

        assert q.close_orphaned_job_runs(s, now, alive) == 1
    with db.session() as s:
        assert s.get(JobRun, orphan).status == "aborted"  # type: ignore[union-attr]
        assert s.get(JobRun, mine).status == "running"  # type: ignore[union-attr]


def test_pid_alive_checks_identity() -> None:
    me = os.getpid()
    ticks = q.process_start_ticks(me)
    assert ticks is not None
    assert q.pid_alive(me, ticks)
    assert not q.pid_alive(me, ticks + 1)  # same pid, another process (pid reuse)
    assert not q.pid_alive(dead_pid())
    assert not q.pid_alive(None)
