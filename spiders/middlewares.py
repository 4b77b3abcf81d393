"""Downloader middleware: retries with exponential back-off.

A 429 is not retried within the run: the errback records its ``Retry-After`` on the source, and
the source is not due again before then (:mod:`monitor.collect.polling`).

The body size cap (streaming and after decompression) is Scrapy's own ``DOWNLOAD_MAXSIZE``
handling (download handler + ``HttpCompressionMiddleware``), configured in
:mod:`spiders.settings`.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0


async def _sleep(seconds: float) -> None:
    if seconds > 0:
        await deferred_to_future(deferLater(reactor, seconds, lambda: None))  # type: ignore[arg-type]


class BackoffRetryMiddleware(RetryMiddleware):  # type: ignore[misc]
    """Scrapy's retry middleware, pausing ``base × 2^(n−1)`` seconds before retry *n*."""

    def __init__(self, settings: BaseSettings, *, base_s: float = 1.0) -> None:
        super().__init__(settings)
        self.base_s = base_s

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = cls(crawler.settings, base_s=crawler.settings.getfloat("RETRY_BACKOFF_BASE", 1.0))
        mw.crawler = crawler
        return mw

    def _delay(self, retry: Request) -> float:
        n = int(retry.meta.get("retry_times", 1))
        return float(min(self.base_s * 2 ** max(n - 1, 0), MAX_BACKOFF_S))

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await _sleep(self._delay(result))
        return result  # type: ignore[no-any-return]

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await _sleep(self._delay(result))
        return result  # type: ignore[no-any-return]
