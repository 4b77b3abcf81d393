"""Article text extraction for the spider: in ``crawl.extract_workers`` worker processes
(:mod:`monitor.collect.extract_pool`) while the reactor goes on fetching and storing, or in this
process (``extract_workers=0``, or when no worker process can be started).

A worker's result is awaited through a Deferred fired in the reactor thread, so the reactor
never blocks on extraction.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from monitor.collect.dates import DateContext
from monitor.collect.extract import extract_article
from monitor.collect.extract_pool import ExtractPool, ExtractResult
from monitor.collect.records import ArticleRecord
from monitor.collect.timings import Timings

log = logging.getLogger(__name__)


class Extractor:
    def __init__(self, workers: int, timings: Timings) -> None:
        self.workers = workers
        self.timings = timings
        self.pool: ExtractPool | None = None

    def start(self) -> None:
        if self.workers <= 0 or self.pool is not None:
            return
        try:
            self.pool = ExtractPool(self.workers)
            self.pool.start()
        except Exception as exc:  # no processes to be had: extract in this process
            log.warning("Extraction workers unavailable, extracting in-process error=%s", exc)
            self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    async def extract(
        self, response: Response, content_type: str, dates: DateContext | None = None
    ) -> ArticleRecord | None:
        """The article on the page, or None; raises
        :class:`~monitor.collect.extract_pool.ExtractCrashed` when its worker died on it."""
        if self.pool is None:
            with self.timings.measure("extract"):
                return extract_article(
                    response.body, url=response.url, content_type=content_type, dates=dates
                )
        with self.timings.measure("extract"):  # only the hand-over is spent in this process
            future = self.pool.submit(response.body, response.url, content_type, dates)
        result: ExtractResult = await maybe_deferred_to_future(_deferred_from(future))
        self.timings.add("extract_worker", result.seconds)
        return result.article


def _deferred_from(future: Future[Any]) -> Deferred[Any]:
    """A Deferred fired in the reactor thread when ``future`` (settled in any thread) is done."""
    from twisted.internet import reactor

    d: Deferred[Any] = Deferred()

    def settle(done: Future[Any]) -> None:
        exc = done.exception()
        if exc is not None:
            d.errback(exc)
        else:
            d.callback(done.result())

    future.add_done_callback(lambda done: reactor.callFromThread(settle, done))
    return d
