"""Feed autodiscovery over the network: one polite fetch through Scrapy (same settings as a
crawl), then :func:`monitor.collect.discover.feeds_in_document`.

Like a crawl, discovery runs the Twisted reactor, so it can run once per process (``monitor
sources add`` is one process per call).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from monitor.collect.discover import DiscoveredFeed, DiscoveryError, feeds_in_document
from monitor.config import CrawlSettings
from monitor.urls import is_fetchable_link
from spiders.process import crawler_process
from spiders.settings import scrapy_settings


@dataclass
class Fetched:
    url: str
    body: bytes = b""
    content_type: str = ""
    error: str | None = None
    status: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class FetchOneSpider(scrapy.Spider):  # type: ignore[misc]
    name = "monitor-fetch-one"

    def __init__(self, *, target: Fetched, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target

    async def start(self) -> AsyncIterator[Any]:
        yield Request(self.target.url, callback=self.got, errback=self.failed, dont_filter=True)

    def got(self, response: Response) -> None:
        self.target.url = response.url
        self.target.body = response.body
        self.target.status = response.status
        value = response.headers.get(b"Content-Type")
        self.target.content_type = bytes(value).decode("latin-1") if value else ""

    def failed(self, failure: Failure) -> None:
        self.target.error = f"{type(failure.value).__name__}: {failure.value}"


def fetch_once(url: str, crawl: CrawlSettings) -> Fetched:
    target = Fetched(url=url)
    settings = scrapy_settings(crawl, bare=True)
    settings["RETRY_TIMES"] = min(crawl.retries, 1)
    process = crawler_process(settings)
    process.crawl(FetchOneSpider, target=target)
    process.start(stop_after_crawl=True)
    if target.error is None and target.status is None:
        target.error = "no response"
    return target


def discover_feeds(url: str, *, settings: CrawlSettings) -> list[DiscoveredFeed]:
    """Fetch ``url`` (one Scrapy request) and return the feeds it is or announces."""
    if not is_fetchable_link(url):
        raise DiscoveryError(f"discover: {url!r} is not an http(s) URL")
    fetched = fetch_once(url, settings)
    if fetched.error is not None:
        raise DiscoveryError(f"discover: could not fetch {url}: {fetched.error}")
    return feeds_in_document(fetched.body, url=fetched.url, content_type=fetched.content_type)
