"""Looking at a would-be source over the network before it is added: polite fetches through
Scrapy (same settings and robots.txt handling as a crawl), then
:func:`monitor.collect.discover.read_document`.

- :func:`probe_source` (``monitor sources add``): the URL, and when it is a site's page that
  announces feeds, the first of them too — what to store (URL, kind, title) and the language
  (declared by the feed, else detected in its items; the page's own as a fall-back);
- :func:`probe_feeds` (OPML import): many feed URLs at once, each read for kind and language.

Like a crawl, this runs the Twisted reactor, so it can run once per process (``monitor sources
add`` and ``import-opml`` are one process per call).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from monitor.collect.discover import DiscoveredFeed, DiscoveryError, Document, read_document
from monitor.collect.source_language import SourceLanguage
from monitor.config import CrawlSettings
from monitor.urls import is_fetchable_link
from spiders.failures import describe_failure, request_of
from spiders.netguard import AddressRefused
from spiders.process import crawler_process
from spiders.settings import GUARD_MIDDLEWARES, ROBOTS_MIDDLEWARES, scrapy_settings


@dataclass
class Fetched:
    url: str
    body: bytes = b""
    content_type: str = ""
    error: str | None = None
    status: int | None = None
    refused: bool = False  # the network guard refused it (``error`` says why)
    then: Fetched | None = None  # the document fetched after this one (``follow``)
    extra: dict[str, Any] = field(default_factory=dict)


Follow = Callable[[Fetched], str | None]


class FetchSpider(scrapy.Spider):  # type: ignore[misc]
    """Fetches every target; ``follow`` may name one more URL to fetch after a target arrived."""

    name = "monitor-fetch"

    def __init__(
        self,
        *,
        targets: Sequence[Fetched],
        follow: Follow | None = None,
        timeout_s: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.follow = follow
        self.timeout_s = timeout_s

    async def start(self) -> AsyncIterator[Any]:
        for target in self.targets:
            yield self._request(target)

    def _request(self, target: Fetched) -> Request:
        return Request(
            target.url,
            callback=self.got,
            errback=self.failed,
            cb_kwargs={"target": target},
            dont_filter=True,
        )

    def got(self, response: Response, target: Fetched) -> Iterator[Request]:
        target.url = response.url
        target.body = response.body
        target.status = response.status
        value = response.headers.get(b"Content-Type")
        target.content_type = bytes(value).decode("latin-1") if value else ""
        next_url = self.follow(target) if self.follow is not None else None
        if next_url:
            target.then = Fetched(url=next_url)
            yield self._request(target.then)

    def failed(self, failure: Failure) -> None:
        target: Fetched = request_of(failure).cb_kwargs["target"]
        target.refused = isinstance(failure.value, AddressRefused)
        target.error = describe_failure(failure, self.timeout_s).message.removeprefix("fetch: ")


def fetch_all(
    urls: Sequence[str], crawl: CrawlSettings, *, follow: Follow | None = None
) -> list[Fetched]:
    """Fetch every URL in one Scrapy run (robots.txt first for each host), in their order."""
    targets = [Fetched(url=url) for url in urls]
    if not targets:
        return targets
    settings = scrapy_settings(crawl, bare=True)
    settings["DOWNLOADER_MIDDLEWARES"] = {**GUARD_MIDDLEWARES, **ROBOTS_MIDDLEWARES}
    settings["RETRY_TIMES"] = min(crawl.retries, 1)
    process = crawler_process(settings)
    process.crawl(FetchSpider, targets=targets, follow=follow, timeout_s=crawl.download_timeout_s)
    process.start(stop_after_crawl=True)
    for target in targets:
        _close(target)
    return targets


def _close(target: Fetched) -> None:
    if target.error is None and target.status is None:
        target.error = "no response"
    if target.then is not None:
        _close(target.then)


def fetch_once(url: str, crawl: CrawlSettings) -> Fetched:
    return fetch_all([url], crawl)[0]


@dataclass(frozen=True)
class SourceProbe:
    """What to store for a URL given to ``sources add``."""

    url: str  # the feed or sitemap found, or the URL itself
    kind: str | None  # rss | atom | sitemap; None: a page without feeds
    title: str | None
    language: SourceLanguage
    also: list[DiscoveredFeed] = field(default_factory=list)  # more feeds the page announces


def _read(fetched: Fetched) -> Document:
    return read_document(fetched.body, url=fetched.url, content_type=fetched.content_type)


def probe_source(url: str, *, settings: CrawlSettings, follow_feeds: bool = True) -> SourceProbe:
    """Fetch ``url``; when it is a page announcing feeds (and ``follow_feeds``), fetch the first
    feed too. Raises :class:`DiscoveryError` when ``url`` cannot be fetched."""
    if not is_fetchable_link(url):
        raise DiscoveryError(f"discover: {url!r} is not an http(s) URL")

    def first_feed(fetched: Fetched) -> str | None:
        document = _read(fetched)
        fetched.extra["document"] = document
        if follow_feeds and document.kind is None and document.feeds:
            return document.feeds[0].url
        return None

    page = fetch_all([url], settings, follow=first_feed)[0]
    for fetched in (page, page.then):
        if fetched is not None and fetched.refused:  # the page, or the feed it announces
            raise DiscoveryError(f"discover: {fetched.error}")
    if page.error is not None:
        raise DiscoveryError(f"discover: could not fetch {url}: {page.error}")
    document: Document = page.extra["document"]
    if document.kind is not None or not document.feeds or not follow_feeds:
        return SourceProbe(document.url, document.kind, document.title, document.language)
    feed, more = document.feeds[0], document.feeds[1:]
    kind, title, language = feed.kind, feed.title, document.language
    if page.then is not None and page.then.error is None:
        read = _read(page.then)
        kind, title = read.kind or kind, title or read.title
        if read.language.code is not None or language.code is None:
            language = read.language  # the feed's own; the page's is the fall-back
    return SourceProbe(feed.url, kind, title, language, more)


def probe_feeds(urls: Sequence[str], *, settings: CrawlSettings) -> dict[str, Document | str]:
    """Each URL's document, or why it could not be fetched (one Scrapy run for all)."""
    out: dict[str, Document | str] = {}
    for asked, fetched in zip(urls, fetch_all(urls, settings), strict=True):
        out[asked] = fetched.error if fetched.error is not None else _read(fetched)
    return out
