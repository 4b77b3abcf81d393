"""``monitor worker``: take due sources from the shared frontier, crawl them, store into the archive.

Any number of workers, on any number of machines, share one frontier (Redis, ``queue.url``, see
:mod:`monitor.frontier`) and one PostgreSQL archive. A worker loops:

1. take up to ``queue.batch_sources`` entries (sources abandoned by a dead worker first);
2. hand those sources to its crawl process, which crawls them as a crawl run of its own (trigger
   ``worker``) beside the other workers' runs — each item is stored, judged and folded as in
   ``monitor crawl``;
3. while the crawl runs, renew the entries every third of ``queue.visibility_timeout_s``, so no
   other worker takes them over;
4. acknowledge each source whose outcome the crawl committed; give back at once the sources it
   never reached (stopped early).

The crawl process is forked from the worker once and crawls batch after batch, its Twisted
reactor running in between (:class:`CrawlServer`, ``spiders.process.ReactorCrawls``): a batch
costs no process start, no Scrapy start, and the fold stage keeps its matching window in memory
from one batch to the next (reading only what other workers folded meanwhile). The worker keeps
supervising it: it stays the one process that talks to the frontier, renews, and stops or kills
the crawl; a crawl process that died or was stopped is forked again for the next batch.

A source taken again after a crawl that never finished is crawled alone (the others of its take
are given back), so a source that kills the crawl process is the only one set aside after
``queue.max_deliveries`` attempts (:mod:`monitor.frontier.streams`).

A worker killed with SIGKILL stops renewing: its entries return to the other workers after the
visibility timeout, and its crawl process dies with it (``PR_SET_PDEATHSIG``); the next crawl run
recorded on the archive closes the dead run (:mod:`monitor.db.crawl_guard`). A crawl process that
dies on its own leaves its entries to return after the visibility timeout too (a pause before a
retry).

SIGTERM/SIGINT drain: no new entries are taken, the running crawl gets ``queue.drain_s`` to finish,
then it is stopped (SIGTERM: Scrapy stops cleanly and the run is closed with the sources it did
not reach as ``skipped``), its unreached sources are given back, and the worker exits 0.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from types import FrameType
from typing import Any, Protocol

from monitor.collect.crawl import CrawlEngine, run_crawl
from monitor.collect.stages import default_stages
from monitor.config import AppConfig, CrawlSettings
from monitor.db import jobs as q
from monitor.db.engine import Database
from monitor.db.runs import last_attempts
from monitor.errors import ConfigError, ConfigProblem
from monitor.frontier import Frontier, Taken
from monitor.pipeline import ItemStage

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class WorkerOptions:
    block_s: float = 5.0  # how long one read of the frontier waits for an entry
    poll_s: float = 0.2  # how often the crawl process is checked
    kill_grace_s: float = 10.0  # SIGTERM → SIGKILL of the crawl process
    exit_when_idle_s: float | None = None  # stop after this long with nothing to do (tests, bench)


@dataclass(frozen=True)
class BatchResult:
    """What became of one batch: sources acknowledged, given back, left to return."""

    run_id: int | None
    done: tuple[int, ...]
    given_back: tuple[int, ...]
    left: tuple[int, ...]
    exit_code: int | None


def require_shared_archive(config: AppConfig) -> None:
    """Workers and a scheduler with ``queue.url`` share a PostgreSQL archive; refuse otherwise."""
    where = config.origins.get("queue.url", str(config.config_dir / "monitor.yaml"))
    if not config.settings.queue.enabled:
        raise ConfigError(
            [
                ConfigProblem(
                    where,
                    "queue.url",
                    "not set: give a Redis URL such as redis://127.0.0.1:6379/0 "
                    "(MONITOR_QUEUE__URL), or crawl with `monitor run` alone",
                )
            ]
        )
    if not config.database_url.startswith("postgresql"):
        raise ConfigError(
            [
                ConfigProblem(
                    where,
                    "database_url",
                    "workers and their scheduler share a PostgreSQL archive: set database_url "
                    "(MONITOR_DATABASE_URL) to postgresql://… (or leave queue.url unset)",
                )
            ]
        )


def consumer_name() -> str:
    """This worker's name in the consumer group: host, pid and process start time."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{q.process_start_ticks(pid) or 0}"


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent dies (a worker killed with SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the child finishes its crawl on its own
        pass


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class CrawlServer(Protocol):
    """Runs ``serve(engine, stopping)`` beside a crawl engine that stays ready between crawls
    (``spiders.process.ReactorCrawls``); see its ``serve``."""

    def serve(self, serve: Callable[[CrawlEngine, threading.Event], None]) -> None: ...


def _crawl_process(
    config: AppConfig,
    crawl_server: Callable[[CrawlSettings], CrawlServer],
    stages: Sequence[ItemStage],
    inherited: Database,
    batches: Connection,
    outcomes: Connection,
    workers_ends: Sequence[Connection],
) -> None:
    """The forked crawl process: for each batch of source ids received, one crawl run; sends
    the outcome per source. Ends when the worker closes its end (or on SIGTERM)."""
    _die_with_parent()
    for conn in workers_ends:  # the worker's ends are the worker's: its close is our EOF
        conn.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the worker, which decides
    inherited.engine.dispose(close=False)  # the parent's connections stay the parent's
    db = Database.open(config.database_url, migrate=False)

    def serve(engine: CrawlEngine, stopping: threading.Event) -> None:
        while not stopping.is_set():
            if not batches.poll(0.2):
                continue
            try:
                source_ids: list[int] = batches.recv()
            except EOFError:  # the worker is done with this process
                return
            summary = run_crawl(
                config,
                db,
                engine=engine,
                source_ids=source_ids,
                trigger="worker",
                exclusive=False,
                stages=stages,
            )
            outcomes.send(
                {
                    "run_id": summary.run_id,
                    "status": summary.status,
                    "sources": {s.source_id: s.status for s in summary.sources},
                    "new_items": summary.new_items,
                }
            )

    try:
        crawl_server(config.settings.crawl).serve(serve)
    finally:
        db.close()
        batches.close()
        outcomes.close()


@dataclass
class _CrawlChild:
    """The worker's end of its crawl process: batches go out, outcomes come back."""

    proc: Any  # multiprocessing.Process
    batches: Connection
    outcomes: Connection

    def close(self, grace_s: float) -> None:
        """Let it finish (its batch pipe closed, it returns), else terminate, then kill it."""
        for conn in (self.batches, self.outcomes):
            conn.close()
        self.proc.join(grace_s)
        if self.proc.is_alive():
            log.warning("Crawl process did not end pid=%d; sending SIGTERM", self.proc.pid)
            self.proc.terminate()
            self.proc.join(grace_s)
        if self.proc.is_alive():
            log.warning("Crawl process ignored SIGTERM pid=%d; sending SIGKILL", self.proc.pid)
            self.proc.kill()
            self.proc.join()
        log.info("Crawl process ended pid=%d exit_code=%s", self.proc.pid, self.proc.exitcode)


class Worker:
    """Pulls batches of sources from the frontier and has its crawl process crawl each."""

    def __init__(
        self,
        config: AppConfig,
        db: Database,
        frontier: Frontier,
        crawl_server: Callable[[CrawlSettings], CrawlServer],
        options: WorkerOptions | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.frontier = frontier
        self.crawl_server = crawl_server
        self.options = options or WorkerOptions()
        self.stop = threading.Event()
        self.consumer = consumer_name()
        self.batches = 0
        self._context = multiprocessing.get_context("fork")
        self._child: _CrawlChild | None = None
        # built once here: the crawl process starts with them (the topic is read once)
        self.stages = default_stages(config, db)

    # ------------------------------------------------------------------ lifecycle

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.stop.set()  # no logging here: handlers must not take the logging lock

    def request_stop(self) -> None:
        self.stop.set()

    def run(self, *, install_signals: bool = True) -> int:
        """Crawl batches until SIGTERM/SIGINT (or idle for ``exit_when_idle_s``); returns 0."""
        from redis.exceptions import RedisError

        previous: dict[int, Any] = {}
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, self._on_signal)
        queue = self.config.settings.queue
        log.info(
            "Worker started consumer=%s batch_sources=%d visibility_timeout_s=%d",
            self.consumer,
            queue.batch_sources,
            queue.visibility_timeout_s,
        )
        idle_since = time.monotonic()
        try:
            while not self.stop.is_set():
                try:
                    taken = self.frontier.take(
                        self.consumer, queue.batch_sources, int(self.options.block_s * 1000)
                    )
                except RedisError as exc:
                    log.warning("Frontier not reachable error=%s; retrying", exc)
                    self.stop.wait(self.options.block_s)
                    continue
                if taken:
                    try:
                        taken = self.isolate_suspect(taken)
                        self.crawl(taken)
                    except RedisError as exc:  # the entries return after the visibility timeout
                        log.warning("Frontier not reachable to settle a batch error=%s", exc)
                    idle_since = time.monotonic()
                elif (
                    self.options.exit_when_idle_s is not None
                    and time.monotonic() - idle_since >= self.options.exit_when_idle_s
                ):
                    log.info("Worker idle, stopping idle_s=%s", self.options.exit_when_idle_s)
                    break
            if self.stop.is_set():
                log.info("Worker stopped on request consumer=%s", self.consumer)
        finally:
            self._end_child()
            try:
                self.frontier.leave(self.consumer)
            except RedisError:
                log.warning("Frontier not reachable when leaving consumer=%s", self.consumer)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return 0

    # ------------------------------------------------------------------ one batch

    def isolate_suspect(self, taken: Sequence[Taken]) -> list[Taken]:
        """An entry taken before whose crawl never finished may be what killed that crawl: crawl
        it alone, so that only it is set aside if it kills the crawl again (the frontier sets
        an entry aside after ``queue.max_deliveries``), and give the others back at once."""
        suspects = [t for t in taken if t.reclaimed and t.deliveries >= 2]
        if not suspects:
            return list(taken)
        alone = suspects[0]
        others = [t for t in taken if t is not alone]
        self.frontier.give_back(self.consumer, others)
        log.warning(
            "Crawling alone a source whose crawl did not finish before source=%s source_id=%d "
            "deliveries=%d; gave back %d others",
            alone.name,
            alone.source_id,
            alone.deliveries,
            len(others),
        )
        return [alone]

    def crawled_meanwhile(self, taken: Sequence[Taken]) -> list[Taken]:
        """The entries whose source was fetched after it was queued (by a worker killed before
        it acknowledged them, or a manual crawl): nothing left to do for this cycle."""
        with self.db.session() as session:
            last = last_attempts(session, sorted({t.source_id for t in taken}))
        out = []
        for t in taken:
            at = last.get(t.source_id)
            if at is not None and _aware(at) >= t.queued_at:
                out.append(t)
        return out

    def crawl(self, taken: Sequence[Taken]) -> BatchResult:
        """Crawl the sources of ``taken`` in a forked child; settle the entries."""
        finished = self.crawled_meanwhile(taken)
        if finished:
            self.frontier.done(finished)
            log.info("Sources crawled since they were queued, done sources=%d", len(finished))
            taken = [t for t in taken if t not in finished]
            if not taken:
                return BatchResult(None, tuple(t.source_id for t in finished), (), (), None)
        ids = sorted({t.source_id for t in taken})
        self.batches += 1
        log.info(
            "Batch taken consumer=%s sources=%d reclaimed=%d cycles=%s",
            self.consumer,
            len(ids),
            sum(1 for t in taken if t.reclaimed),
            ",".join(sorted({t.cycle for t in taken})),
        )
        child = self._child or self._start_child()
        received: list[dict[str, Any]] = []

        def receive() -> None:
            try:
                while not received and child.outcomes.poll():
                    received.append(child.outcomes.recv())
            except (EOFError, OSError):
                pass

        try:
            child.batches.send(ids)
        except OSError:  # it died between batches: its sources return after the timeout
            log.warning("Crawl process gone pid=%s", child.proc.pid)
            stopped = False
        else:
            stopped = self._supervise(child, taken, received, receive)
            receive()
        pid = child.proc.pid
        if stopped or not received or not child.proc.is_alive():
            self._end_child()  # stopped, or died: the next batch gets a new one
            exit_code = child.proc.exitcode
        else:
            exit_code = None
        outcome = received[0] if received else None
        return self._settle(taken, outcome, pid, exit_code, stopped)

    def _start_child(self) -> _CrawlChild:
        batches_in, batches_out = self._context.Pipe(duplex=False)
        outcomes_in, outcomes_out = self._context.Pipe(duplex=False)
        proc = self._context.Process(
            target=_crawl_process,
            args=(
                self.config,
                self.crawl_server,
                self.stages,
                self.db,
                batches_in,
                outcomes_out,
                (batches_out, outcomes_in),
            ),
            name="monitor-crawl",
        )
        proc.start()
        batches_in.close()
        outcomes_out.close()
        self._child = _CrawlChild(proc, batches_out, outcomes_in)
        log.info("Crawl process started pid=%d", proc.pid)
        return self._child

    def _end_child(self) -> None:
        if self._child is not None:
            self._child.close(self.options.kill_grace_s)
            self._child = None

    def _supervise(
        self,
        child: _CrawlChild,
        taken: Sequence[Taken],
        received: list[dict[str, Any]],
        receive: Callable[[], None],
    ) -> bool:
        """Wait for the batch's outcome, renewing the entries; stop the crawl process past the
        time limit or the drain time. Returns whether it was stopped early."""
        from redis.exceptions import RedisError

        proc = child.proc
        queue = self.config.settings.queue
        limit = self.config.settings.crawl.run_time_limit_s
        renew_every = max(queue.visibility_timeout_s / 3, 1.0)
        started = next_renew = time.monotonic()
        next_renew += renew_every
        term_at: float | None = None
        stop_seen: float | None = None
        killed = stopped = False
        while not received and proc.is_alive():
            wait([child.outcomes, proc.sentinel], self.options.poll_s)
            receive()
            now = time.monotonic()
            if now >= next_renew:
                next_renew = now + renew_every
                try:
                    mine = self.frontier.renew(self.consumer, taken)
                except RedisError as exc:
                    log.warning("Entries not renewed error=%s", exc)
                else:
                    if len(mine) < len(taken):
                        log.warning(
                            "Entries taken over by another worker count=%d",
                            len(taken) - len(mine),
                        )
            if term_at is None:
                why = None
                if now - started >= limit:
                    why = f"over crawl.run_time_limit_s ({limit}s)"
                elif self.stop.is_set():
                    stop_seen = stop_seen or now
                    if now - stop_seen >= queue.drain_s:
                        why = f"the worker is stopping (queue.drain_s {queue.drain_s}s passed)"
                if why is not None:
                    log.warning("Stopping crawl pid=%d: %s", proc.pid, why)
                    os.kill(proc.pid, signal.SIGTERM)
                    term_at, stopped = now, True
            elif now - term_at >= self.options.kill_grace_s and not killed:
                log.warning("Crawl ignored SIGTERM pid=%d; sending SIGKILL", proc.pid)
                proc.kill()
                killed = True
        return stopped

    def _settle(
        self,
        taken: Sequence[Taken],
        outcome: dict[str, Any] | None,
        pid: int | None,
        exit_code: int | None,
        stopped: bool,
    ) -> BatchResult:
        """Acknowledge the sources the crawl finished, give back the ones it never reached."""
        if outcome is None:
            with self.db.session() as session:
                closed = q.close_crawl_runs(
                    session,
                    status="aborted",
                    at=datetime.now(UTC),
                    message=f"worker: the crawl process ended without a result (exit code {exit_code})",
                    pid=pid,
                    host=socket.gethostname(),
                )
            ids = tuple(sorted({t.source_id for t in taken}))
            if stopped and self.stop.is_set():
                self.frontier.give_back(self.consumer, taken)
                log.warning("Crawl stopped; sources given back sources=%d", len(ids))
                return BatchResult(None, (), ids, (), exit_code)
            log.error(
                "Crawl ended without a result exit_code=%s closed_runs=%s; its sources return "
                "after queue.visibility_timeout_s",
                exit_code,
                closed,
            )
            return BatchResult(None, (), (), ids, exit_code)
        statuses: dict[int, str] = outcome["sources"]
        # a source missing from the outcome was disabled or deleted meanwhile: drop its entry
        done = [t for t in taken if statuses.get(t.source_id, "gone") != "skipped"]
        back = [t for t in taken if statuses.get(t.source_id) == "skipped"]
        self.frontier.done(done)
        self.frontier.give_back(self.consumer, back)
        log.info(
            "Batch done run=%s status=%s sources=%d new_items=%d given_back=%d",
            outcome["run_id"],
            outcome["status"],
            len(done),
            outcome["new_items"],
            len(back),
        )
        return BatchResult(
            outcome["run_id"],
            tuple(sorted({t.source_id for t in done})),
            tuple(sorted({t.source_id for t in back})),
            (),
            exit_code,
        )
