"""Article extraction in worker processes, so it runs on another core beside the crawl.

A crawl is one process with one reactor thread; trafilatura is pure CPU work. :class:`ExtractPool`
hands pages to ``crawl.extract_workers`` worker processes (``spawn``ed, so no reactor state or
threads are forked) and returns a :class:`concurrent.futures.Future` per page; the spider waits
on it without blocking the reactor.

Robustness:

- at most ``IN_FLIGHT_PER_WORKER`` pages per worker are handed over at a time (one extracted,
  one ready next, so a worker never waits on this process); the rest wait here;
- when a worker dies (a crash in a C extension, the OOM killer), a fresh pool takes over and the
  pages it held are tried again *one at a time*: the page that kills a worker on its own fails
  with :class:`ExtractCrashed` (recorded against its source), the others are extracted, and the
  run goes on;
- workers ignore SIGINT/SIGTERM (the crawl process decides when they stop: :meth:`close` at spider
  close) and exit by themselves when the crawl process is gone;
- :meth:`close` with no page in flight (the usual end of a crawl, also a short one that ends while
  the workers are still loading the extractor) stops the workers at once, without waiting for
  them to finish loading; only a worker that holds a page and does not stop within
  ``CLOSE_WAIT_S`` is killed with a warning.

Workers are started with ``spawn``: like any ``multiprocessing`` user, a script that crawls must
guard its entry point with ``if __name__ == "__main__":`` (``python -m monitor`` does).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import Any

from monitor.collect.dates import DateContext
from monitor.collect.records import ArticleRecord

log = logging.getLogger(__name__)
PARENT_CHECK_S = 1.0
IN_FLIGHT_PER_WORKER = 2
CLOSE_WAIT_S = 5.0
IDLE_STOP_S = 0.5  # an idle worker that has not exited by then is still loading: killed quietly


class ExtractCrashed(Exception):
    """The worker process died while extracting this page."""


@dataclass(frozen=True, slots=True)
class ExtractResult:
    article: ArticleRecord | None
    seconds: float  # time spent extracting, in the worker


def extract_page(
    body: bytes, url: str, content_type: str, dates: DateContext | None = None
) -> ExtractResult:
    """Run in a worker: :func:`monitor.collect.extract.extract_article` plus its duration."""
    from monitor.collect.extract import extract_article

    t0 = time.perf_counter()
    article = extract_article(body, url=url, content_type=content_type, dates=dates)
    return ExtractResult(article, time.perf_counter() - t0)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            os._exit(0)


def load_extractor() -> None:
    """Load trafilatura in a worker before its first page."""
    import monitor.collect.extract  # noqa: F401


def _init_worker(parent: int, prepare: Callable[[], Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    prepare()


Task = tuple["Future[Any]", tuple[Any, ...], int]


class ExtractPool:
    """``workers`` processes running ``func`` (default :func:`extract_page`) one call at a time;
    each runs ``prepare`` (default :func:`load_extractor`) when it starts."""

    def __init__(
        self,
        workers: int,
        func: Callable[..., Any] = extract_page,
        *,
        start_method: str = "spawn",
        prepare: Callable[[], Any] = load_extractor,
    ) -> None:
        if workers < 1:
            raise ValueError("ExtractPool needs at least one worker")
        self.workers = workers
        self.func = func
        self.prepare = prepare
        self.capacity = workers * IN_FLIGHT_PER_WORKER
        self._context = multiprocessing.get_context(start_method)
        self._lock = threading.RLock()
        self._queue: deque[Task] = deque()
        self._running = 0
        self._solo = False  # a page that was in a dying worker is being retried on its own
        self._executor: ProcessPoolExecutor | None = None
        self._retired: list[ProcessPoolExecutor] = []
        self._closed = False
        self.crashes = 0

    def start(self) -> None:
        """Start the workers now (they load the extractor while the crawl fetches feeds)."""
        with self._lock:
            executor = self._current()
            for _ in range(self.workers):
                executor.submit(int)

    def submit(self, *args: Any) -> Future[Any]:
        """``func(*args)`` in a worker; the future fails with :class:`ExtractCrashed` if it died."""
        outer: Future[Any] = Future()
        outer.set_running_or_notify_cancel()
        with self._lock:
            if self._closed:
                outer.set_exception(RuntimeError("extraction pool is closed"))
                return outer
            self._queue.append((outer, args, 1))
            ready = self._pump()
        _settle(ready)
        return outer

    def close(self) -> None:
        """Stop the workers; pages still waiting fail. Idle workers (none holds a page) are
        stopped at once; a worker busy with a page gets ``CLOSE_WAIT_S`` to finish it."""
        with self._lock:
            self._closed = True
            waiting = [
                (outer, RuntimeError("extraction pool closed")) for outer, _, _ in self._queue
            ]
            self._queue.clear()
            busy = self._running > 0
            executors = [*self._retired, *([self._executor] if self._executor else [])]
            self._executor = None
            self._retired = []
        _settle(waiting)
        for executor in executors:
            processes = list((getattr(executor, "_processes", None) or {}).values())
            executor.shutdown(wait=False, cancel_futures=True)
            deadline = time.monotonic() + (CLOSE_WAIT_S if busy else IDLE_STOP_S)
            for proc in processes:
                proc.join(max(deadline - time.monotonic(), 0.0))
                if not proc.is_alive():
                    continue
                if busy:
                    log.warning("Extraction worker did not stop; killing pid=%s", proc.pid)
                else:  # idle, or still loading the extractor: nothing is lost
                    log.debug("Stopping idle extraction worker pid=%s", proc.pid)
                proc.kill()
                proc.join(1.0)

    # ------------------------------------------------------------------ internals (under the lock)

    def _current(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=self._context,
                initializer=_init_worker,
                initargs=(os.getpid(), self.prepare),
            )
        return self._executor

    def _pump(self) -> list[tuple[Future[Any], Any]]:
        """Send waiting pages to free workers; returns futures to settle outside the lock."""
        ready: list[tuple[Future[Any], Any]] = []
        while self._queue and not self._closed and not self._solo:
            outer, args, attempt = self._queue[0]
            retry = attempt > 1
            if (retry and self._running > 0) or self._running >= self.capacity:
                break
            self._queue.popleft()
            try:
                inner = self._send(args)
            except (BrokenProcessPool, RuntimeError) as exc:
                ready.append((outer, ExtractCrashed(f"no extraction worker: {exc}")))
                continue
            executor = self._current()
            self._running += 1
            self._solo = retry
            inner.add_done_callback(partial(self._finished, outer, args, attempt, executor))
        return ready

    def _send(self, args: tuple[Any, ...]) -> Future[Any]:
        executor = self._current()
        try:
            return executor.submit(self.func, *args)
        except (BrokenProcessPool, RuntimeError):  # it broke before we noticed: one fresh pool
            self._retire(executor)
            return self._current().submit(self.func, *args)

    def _retire(self, executor: ProcessPoolExecutor) -> None:
        if self._executor is executor:
            self._executor = None
            self._retired.append(executor)
            self.crashes += 1

    def _finished(
        self,
        outer: Future[Any],
        args: tuple[Any, ...],
        attempt: int,
        executor: ProcessPoolExecutor,
        inner: Future[Any],
    ) -> None:
        ready: list[tuple[Future[Any], Any]] = []
        with self._lock:
            self._running -= 1
            if attempt > 1:
                self._solo = False
            exc = inner.exception() if not inner.cancelled() else RuntimeError("cancelled")
            if isinstance(exc, BrokenProcessPool):
                self._retire(executor)
                if attempt == 1 and not self._closed:
                    self._queue.appendleft((outer, args, 2))  # again, on its own
                else:
                    log.warning("Extraction worker died on a page args=%s", _describe(args))
                    ready.append(
                        (outer, ExtractCrashed("the extraction worker process died on this page"))
                    )
            elif exc is not None:
                ready.append((outer, exc))
            else:
                ready.append((outer, _Ok(inner.result())))
            ready += self._pump()
        _settle(ready)


def _describe(args: tuple[Any, ...]) -> str:
    return ", ".join(a if isinstance(a, str) else type(a).__name__ for a in args)[:300]


@dataclass(frozen=True, slots=True)
class _Ok:
    value: Any


def _settle(ready: list[tuple[Future[Any], Any]]) -> None:
    for outer, outcome in ready:
        if outer.done():
            continue
        if isinstance(outcome, _Ok):
            outer.set_result(outcome.value)
        else:
            outer.set_exception(outcome)
