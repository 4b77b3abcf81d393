"""Extraction worker processes (real spawned processes): results, a crashing page, shutdown."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import Future, wait

import pytest

from monitor.collect.extract_pool import ExtractCrashed, ExtractPool, ExtractResult

PAGE = (
    "<html><head><title>Rail link talks resume</title></head><body><article>"
    "<h1>Rail link talks resume</h1>"
    + "".join(
        f"<p>Paragraph {i}: engineers from both countries met again to review the route, the "
        "financing schedule and the customs arrangements for the new freight line.</p>"
        for i in range(6)
    )
    + "</article></body></html>"
).encode()


def crash_on(value: str) -> str:
    """Runs in the worker: dies like a segfaulting C extension on ``crash``."""
    if value == "crash":
        os._exit(70)
    return value.upper()


def test_worker_extracts_an_article_page() -> None:
    pool = ExtractPool(1)
    try:
        pool.start()
        result = pool.submit(PAGE, "https://news.example.org/a.html", "text/html").result(60)
    finally:
        pool.close()
    assert isinstance(result, ExtractResult)
    assert result.article is not None
    assert "financing schedule" in result.article.text
    assert result.seconds > 0


@pytest.mark.parametrize("workers", [1, 2])
def test_a_page_that_kills_its_worker_fails_alone_and_the_pool_goes_on(workers: int) -> None:
    pool = ExtractPool(workers, crash_on)
    try:
        values = ["a", "b", "crash", "c", "d", "e"]
        futures: list[Future[str]] = [pool.submit(v) for v in values]
        wait(futures, timeout=120)
        outcomes = {}
        for value, fut in zip(values, futures, strict=True):
            exc = fut.exception(0)
            outcomes[value] = type(exc).__name__ if exc else fut.result(0)
        assert outcomes == {
            "a": "A",
            "b": "B",
            "crash": ExtractCrashed.__name__,
            "c": "C",
            "d": "D",
            "e": "E",
        }
        assert pool.crashes >= 1
        assert pool.submit("after").result(60) == "AFTER"  # a fresh pool took over
    finally:
        pool.close()


def test_close_stops_the_workers_and_refuses_new_pages() -> None:
    pool = ExtractPool(2, crash_on)
    assert pool.submit("x").result(60) == "X"
    processes = list(pool._current()._processes.values())
    assert processes
    pool.close()
    assert not any(p.is_alive() for p in processes)
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit("y").result(5)


def slow_to_load() -> None:
    """Runs in the worker as it starts: loading takes longer than a short crawl."""
    time.sleep(30)


def slow_page(value: str) -> str:
    time.sleep(30)
    return value


def test_a_pool_still_loading_stops_at_once_and_quietly(caplog: pytest.LogCaptureFixture) -> None:
    """The usual end of a short crawl: nothing in flight, the worker still loading trafilatura."""
    caplog.set_level(logging.DEBUG, logger="monitor.collect.extract_pool")
    pool = ExtractPool(1, crash_on, prepare=slow_to_load)
    pool.start()
    time.sleep(1.0)  # the worker process is up and loading
    processes = list(pool._current()._processes.values())
    assert processes
    started = time.monotonic()
    pool.close()
    took = time.monotonic() - started
    assert not any(p.is_alive() for p in processes)
    assert took < 3.0
    assert "did not stop" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_worker_busy_with_a_page_at_close_is_killed_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = ExtractPool(1, slow_page, prepare=int)
    future = pool.submit("page")
    time.sleep(1.5)  # the page is in the worker now
    processes = list(pool._current()._processes.values())
    pool.close()
    for p in processes:  # killed: gone as soon as the kernel has reaped it (busy machines lag)
        p.join(10)
    assert not any(p.is_alive() for p in processes)
    assert "did not stop; killing" in caplog.text
    # the executor's own thread settles the page of the killed worker, a moment later
    assert wait([future], timeout=10).done
