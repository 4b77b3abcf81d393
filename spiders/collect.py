"""The collection spider: every source of a run (feeds, sitemaps, listing pages) in one crawl.

A thin adapter between Scrapy and :class:`~monitor.collect.collector.Collector`: it turns each
source into its main request, hands response bytes to the parsers in :mod:`monitor.collect`,
asks the collector's planner what to do with the entries (:mod:`monitor.collect.plan`: store,
copy, fetch the article page, defer it, or skip) and carries the decisions out: the entries'
items are stored at once (a feed entry that needs its page with its feed text, so no entry waits
for a slow or dead article page), then the article pages are requested; what a page gives is
yielded as a :class:`~monitor.collect.records.CollectedItem` to the store pipeline.

Every callback and errback runs as one guarded step of its source (:mod:`spiders.steps`): what
it raises is recorded against the source, and the crawl goes on; what it yields keeps the source
open until handled. Article text is extracted by
:class:`~spiders.extraction.Extractor` (worker processes, or in this process).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import scrapy
from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from monitor.collect.collector import Collector
from monitor.collect.dates import DateContext
from monitor.collect.extract_pool import ExtractCrashed
from monitor.collect.feeds import parse_feed
from monitor.collect.listings import parse_listing
from monitor.collect.plan import Copy, Defer, Fetch, PagePolicy, Skip, Store, fetched_item
from monitor.collect.records import CollectedItem, FeedEntry, SourceJob
from monitor.collect.sitemaps import parse_sitemap
from monitor.errors import MonitorError
from spiders.extraction import Extractor
from spiders.failures import describe_failure, request_of
from spiders.steps import on_failure, on_response

log = logging.getLogger(__name__)
MAX_CHILD_SITEMAPS = 20


class CollectSpider(scrapy.Spider):  # type: ignore[misc]
    name = "monitor-collect"

    def __init__(
        self,
        *,
        collector: Collector,
        jobs: Sequence[SourceJob],
        fulltext: bool = True,
        fulltext_min_chars: int = 400,
        max_items: int = 500,
        timeout_s: float = 30.0,
        max_body_bytes: int = 0,
        extract_workers: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.collector = collector
        self.jobs = list(jobs)
        self.policy = PagePolicy(fulltext=fulltext, min_chars=fulltext_min_chars)
        self.max_items = max_items
        self.timeout_s = timeout_s
        self.max_body_bytes = max_body_bytes
        self.extractor = Extractor(extract_workers if fulltext else 0, collector.timings)

    def closed(self, reason: str) -> None:
        self.extractor.close()

    # ------------------------------------------------------------------ main documents

    async def start(self) -> AsyncIterator[Any]:
        self.extractor.start()
        for job in self.jobs:
            # the start step is over before its request is handed to Scrapy
            requests = list(
                self.collector.ledger.run_step(
                    job.source_id,
                    functools.partial(self._main_request, job),
                    stage="fetch",
                    main=True,
                    url=job.url,
                )
            )
            for request in requests:
                yield request

    def _main_request(self, job: SourceJob) -> Iterator[Request]:
        callback = {"sitemap": self.parse_sitemap, "listing": self.parse_listing}.get(
            job.kind, self.parse_feed
        )
        headers: dict[str, str] = {}
        if job.kind != "listing":  # conditional GET with the validators of the last run
            if job.etag:
                headers["If-None-Match"] = job.etag
            if job.last_modified:
                headers["If-Modified-Since"] = job.last_modified
        try:
            request = Request(
                job.url,
                callback=callback,
                errback=self.main_failed,
                headers=headers,
                cb_kwargs={"job": job},
                meta={"handle_httpstatus_list": [304]},
                dont_filter=True,
            )
        except (ValueError, TypeError) as exc:
            raise MonitorError(f"fetch: bad URL {job.url!r}: {exc}") from exc
        yield request

    @on_failure(main=True)
    def main_failed(self, failure: Failure, job: SourceJob) -> None:
        problem = describe_failure(failure, self.timeout_s, self.max_body_bytes)
        tally = self.collector.tally(job.source_id)
        if problem.http_status is not None:  # the server answered
            tally.fetched += 1
        tally.main_failed(
            problem.message,
            http_status=problem.http_status,
            retry_after_until=problem.retry_after_until,
        )

    def _not_modified(self, response: Response, job: SourceJob) -> bool:
        return self.collector.tally(job.source_id).main_response(
            response.status, _header(response, b"ETag"), _header(response, b"Last-Modified")
        )

    @on_response("feeds", main=True)
    def parse_feed(self, response: Response, job: SourceJob) -> Iterator[Any]:
        if self._not_modified(response, job):
            return
        with self.collector.timings.measure("parse"):
            parsed = parse_feed(
                response.body,
                feed_url=response.url,
                content_type=_header(response, b"Content-Type") or "",
                max_entries=self.max_items,
                dates=_dates(job),
            )
        tally = self.collector.tally(job.source_id)
        for warning in parsed.warnings:
            tally.warn(warning)
        tally.saw_date(parsed.newest)
        yield from self._follow(job, parsed.entries)

    @on_response("sitemaps", main=True)
    def parse_sitemap(self, response: Response, job: SourceJob) -> Iterator[Any]:
        if self._not_modified(response, job):
            return
        yield from self._sitemap(response, job)

    @on_response("sitemaps", main=False)
    def parse_child_sitemap(self, response: Response, job: SourceJob) -> Iterator[Any]:
        self.collector.tally(job.source_id).fetched += 1
        yield from self._sitemap(response, job)

    def _sitemap(self, response: Response, job: SourceJob) -> Iterator[Any]:
        with self.collector.timings.measure("parse"):
            parsed = parse_sitemap(
                response.body,
                sitemap_url=response.url,
                since=job.since,
                max_entries=self.max_items,
                dates=_dates(job),
            )
        tally = self.collector.tally(job.source_id)
        for warning in parsed.warnings:
            tally.warn(warning)
        tally.saw_date(parsed.newest)
        for child_url in parsed.child_sitemaps[:MAX_CHILD_SITEMAPS]:
            yield Request(
                child_url,
                callback=self.parse_child_sitemap,
                errback=self.part_failed,
                cb_kwargs={"job": job},
                dont_filter=True,
            )
        yield from self._follow(job, parsed.entries)

    @on_response("listings", main=True)
    def parse_listing(self, response: Response, job: SourceJob) -> Iterator[Any]:
        if self._not_modified(response, job):
            return
        with self.collector.timings.measure("parse"):
            entries = parse_listing(
                response.body,
                page_url=response.url,
                content_type=_header(response, b"Content-Type") or "",
                css=job.selectors_css,
                xpath=job.selectors_xpath,
                limit=self.max_items,
            )
        if not entries:
            self.collector.tally(job.source_id).warn("no article links found on the listing page")
        yield from self._follow(job, entries)

    @on_failure(main=False)
    def part_failed(self, failure: Failure, job: SourceJob) -> None:
        problem = describe_failure(failure, self.timeout_s, self.max_body_bytes)
        self.collector.tally(job.source_id).error(f"{problem.message} ({request_of(failure).url})")

    # ------------------------------------------------------------------ entries → items / pages

    def _follow(self, job: SourceJob, entries: Sequence[FeedEntry]) -> Iterator[Any]:
        """Store the entries' items now, then ask for the article pages they need."""
        items: list[CollectedItem] = []
        fetches: list[Fetch] = []
        for decision in self.collector.plan(job, entries, self.policy):
            match decision:
                case Store(item=item) | Copy(item=item):
                    items.append(item)
                case Fetch():
                    if decision.first is not None:
                        items.append(decision.first)
                    fetches.append(decision)
                case Defer(item=item):
                    if item is not None:
                        items.append(item)
                case Skip():
                    self.collector.tally(job.source_id).known += 1
        self.collector.store_now(items)
        for fetch in fetches:
            yield Request(
                fetch.url,
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"job": job, "fetch": fetch},
                dont_filter=True,
            )

    @on_response("extract", main=False)
    async def parse_article(
        self, response: Response, job: SourceJob, fetch: Fetch
    ) -> AsyncIterator[Any]:
        tally = self.collector.tally(job.source_id)
        tally.fetched += 1
        try:
            article = await self.extractor.extract(
                response, _header(response, b"Content-Type") or "", _dates(job)
            )
        except ExtractCrashed as exc:
            log.warning("Extraction worker died source=%s url=%s", job.name, response.url)
            tally.error(f"extract: {response.url}: {exc}")
            article = None
        else:
            if article is None:
                tally.error(f"extract: no article text found at {response.url}")
            elif fetch.candidate.entry.arrived_via != "feed":
                tally.saw_date(article.published_at)  # its page dates a sitemap/listing entry
        self._page_done(job, fetch, article is None)
        item = fetched_item(fetch, article)
        if item is not None:
            yield item

    @on_failure(main=False)
    def article_failed(self, failure: Failure, job: SourceJob, fetch: Fetch) -> Iterator[Any]:
        problem = describe_failure(failure, self.timeout_s, self.max_body_bytes)
        self.collector.tally(job.source_id).error(
            f"{problem.message} (article {request_of(failure).url})"
        )
        self._page_done(job, fetch, True)
        item = fetched_item(fetch, None)
        if item is not None:
            yield item

    def _page_done(self, job: SourceJob, fetch: Fetch, failed: bool) -> None:
        tally = self.collector.tally(job.source_id)
        tally.page_done(failed=failed)
        if failed and fetch.first is None:  # a sitemap or listing entry: nothing to store
            tally.not_stored += 1


def _dates(job: SourceJob) -> DateContext:
    """How this source's dates are read: its language and time zone."""
    return DateContext.for_source(job.language, job.timezone)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if value is None:
        return None
    return bytes(value).decode("latin-1").strip() or None
