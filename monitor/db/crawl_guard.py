"""One crawl per archive at a time, and no crawl run left ``running`` by a dead process.

Every crawl run row names the process that runs it, in ``options["process"]``: host name, pid
and the process's start time (clock ticks since boot, from ``/proc``), so a pid that the system
has since given to another process is not mistaken for the crawl. A ``running`` row is **live**
when

- it names this host: that pid runs and started at that time (rows written before the start
  time was recorded: the pid runs and the row is younger than ``stale_after_s``);
- it names another host (a shared PostgreSQL archive): it is younger than ``stale_after_s``.

:func:`claim_crawl_run` starts a crawl: in one transaction that first takes the archive's write
lock (SQLite) or an advisory lock (PostgreSQL), so two crawls starting together cannot both win,
it closes every ``running`` row that is not live as ``aborted`` (a crawl killed with ``kill -9``,
a machine that lost power) and, unless a live one remains, records the new run. A live one means
another crawl of this archive is under way: the new one is refused, rather than fetching every
page a second time. A worker's run (``exclusive=False``: ``monitor worker`` crawls the sources the
shared frontier gave it, see :mod:`monitor.frontier`) is recorded beside live ones: the frontier
hands each source to one worker per cycle. An exclusive crawl is still refused while a worker's
run is live.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from monitor.db.jobs import pid_alive, process_start_ticks
from monitor.db.models import CrawlRun
from monitor.db.runs import start_run

RUNNING = "running"
ADVISORY_KEY = 0x6D6F6E63726177  # "moncraw": the PostgreSQL advisory lock of crawl claims


def this_process() -> dict[str, Any]:
    """The identity recorded on a crawl run: host, pid and process start time."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "started": process_start_ticks(pid)}


def run_is_live(
    run: CrawlRun, *, now: datetime, stale_after_s: float, host: str | None = None
) -> bool:
    """Whether the process of a ``running`` row is still at work (see the module docstring)."""
    process = (run.options or {}).get("process") or {}
    young = (now - run.started_at).total_seconds() < stale_after_s
    if process.get("host") not in (None, host or socket.gethostname()):
        return young
    started = process.get("started")
    if started is not None:
        return pid_alive(run.pid, int(started))
    return young and pid_alive(run.pid)


def describe(run: CrawlRun) -> str:
    process = (run.options or {}).get("process") or {}
    where = f" on {process['host']}" if process.get("host") else ""
    return (
        f"crawl run {run.id} (pid {run.pid}{where}, started {run.started_at:%Y-%m-%d %H:%M:%S} UTC)"
    )


def _lock(session: Session) -> None:
    """Serialise claims: the first statement of the transaction takes the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
    else:  # SQLite: any write statement takes the one write lock, even one that matches no row
        session.execute(text("UPDATE crawl_runs SET status = status WHERE status = 'running'"))


def close_stale_runs(
    session: Session, *, now: datetime, stale_after_s: float, who: str
) -> tuple[list[int], list[CrawlRun]]:
    """Close the ``running`` rows that are not live as ``aborted``; returns ``(closed ids, the
    live rows)``. ``who`` names the closer in the run's message."""
    closed: list[int] = []
    live: list[CrawlRun] = []
    stmt = select(CrawlRun).where(CrawlRun.status == RUNNING).order_by(CrawlRun.id)
    for run in session.scalars(stmt):
        if run_is_live(run, now=now, stale_after_s=stale_after_s):
            live.append(run)
            continue
        note = f"{who}: the crawl process is gone (pid {run.pid}); closed as aborted"
        run.status = "aborted"
        run.finished_at = now
        run.message = f"{run.message}\n{note}".strip() if run.message else note
        closed.append(run.id)
    return closed, live


@dataclass
class Claim:
    """The outcome of :func:`claim_crawl_run`: the new run, or the live runs in the way."""

    run: CrawlRun | None
    live: list[CrawlRun] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)

    def blocker(self) -> str:
        return ", ".join(describe(r) for r in self.live)


def claim_crawl_run(
    session: Session,
    *,
    trigger: str,
    options: dict[str, Any],
    sources_total: int,
    now: datetime,
    stale_after_s: float,
    exclusive: bool = True,
) -> Claim:
    """Record a new ``running`` crawl run unless another live one exists (module docstring;
    ``exclusive=False``: a worker's run, recorded whatever else runs). Call it in a transaction
    of its own: the lock must be its first statement."""
    _lock(session)
    closed, live = close_stale_runs(
        session, now=now, stale_after_s=stale_after_s, who="crawl: closed by the next crawl"
    )
    if live and exclusive:
        return Claim(None, live, closed)
    process = this_process()
    run = start_run(
        session,
        trigger=trigger,
        options={**options, "process": process},
        sources_total=sources_total,
        pid=process["pid"],
        now=now,
    )
    return Claim(run, [], closed)


def live_runs(session: Session, *, now: datetime, stale_after_s: float) -> list[CrawlRun]:
    """The live ``running`` crawl runs."""
    stmt = select(CrawlRun).where(CrawlRun.status == RUNNING).order_by(CrawlRun.id)
    return [
        r for r in session.scalars(stmt) if run_is_live(r, now=now, stale_after_s=stale_after_s)
    ]
