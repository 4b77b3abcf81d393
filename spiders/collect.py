"""The collection spider: every source of a run (feeds, sitemaps, listing pages) in one crawl.

Thin by design: it fetches, hands bytes to the parsers in :mod:`monitor.collect`, asks the store
which entries are known *before* fetching any article page, and yields
:class:`~monitor.collect.records.CollectedItem` records to the store pipeline. Every callback and
errback is guarded: a failure is recorded against its source and the crawl goes on.

Article text is extracted in worker processes (``extract_workers``, see
:mod:`monitor.collect.extract_pool`) while the reactor goes on fetching and storing; with
``extract_workers=0`` it is extracted in this process. The pool is shut down when the spider
closes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from monitor.collect.charset import decode_bytes
from monitor.collect.collector import Collector, entries_newest
from monitor.collect.dates import DateContext
from monitor.collect.extract import extract_article
from monitor.collect.extract_pool import ExtractCrashed, ExtractPool, ExtractResult
from monitor.collect.feeds import parse_feed
from monitor.collect.listings import extract_listing_links
from monitor.collect.polling import parse_retry_after
from monitor.collect.records import ArticleRecord, CollectedItem, FeedEntry, SourceJob
from monitor.collect.sitemaps import parse_sitemap
from monitor.config import ListingSelectors
from monitor.dedup.keys import entry_key
from monitor.errors import MonitorError
from monitor.urls import canonicalize_url, is_fetchable_link

log = logging.getLogger(__name__)
MAX_CHILD_SITEMAPS = 20


def describe_failure(
    failure: Failure, timeout_s: float, max_bytes: int = 0
) -> tuple[str, int | None, datetime | None]:
    """A message for the operator, the HTTP status (if any) and a Retry-After time (if any)."""
    exc = failure.value
    if isinstance(exc, HttpError):
        resp = exc.response
        reason = f"HTTP {resp.status}"
        retry_after = None
        if resp.status in (429, 503):
            retry_after = parse_retry_after(resp.headers.get(b"Retry-After"), now=datetime.now(UTC))
            if resp.status == 429:
                reason += " Too Many Requests"
            if retry_after is not None:
                reason += f"; retry after {retry_after.isoformat(timespec='seconds')}"
        return f"fetch: {resp.url}: {reason}", resp.status, retry_after
    name = type(exc).__name__.lower()
    if isinstance(exc, TimeoutError | TCPTimedOutError) or "timeout" in name:
        return f"fetch: timed out after {timeout_s:g} s", None, None
    if isinstance(exc, DNSLookupError) or "dnslookup" in name:
        return "fetch: DNS lookup failed; check the host name", None, None
    if isinstance(exc, ConnectionRefusedError) or "connectionrefused" in name:
        return "fetch: connection refused", None, None
    text = str(exc) or type(exc).__name__
    if "dataloss" in name:
        return (
            "fetch: the server closed the connection before the whole response arrived "
            "(the body is shorter than its Content-Length)",
            None,
            None,
        )
    if "downloadcancelled" in name:
        # Scrapy cancels a download whose body passes DOWNLOAD_MAXSIZE while streaming
        return (
            f"fetch: response body over the size limit ({max_bytes} bytes), download aborted",
            None,
            None,
        )
    if "max redirections" in text.lower() or "redirect" in text.lower():
        return "fetch: too many redirects (redirect loop?)", None, None
    if "robots.txt" in text.lower() or "forbidden by robots" in text.lower():
        return "fetch: forbidden by robots.txt", None, None
    if (
        "DOWNLOAD_MAXSIZE" in text
        or "maxsize" in text.lower()
        or "larger than download max size" in text
    ):
        return f"fetch: response body over the size limit, aborted ({text[:200]})", None, None
    if text == type(exc).__name__:  # an exception without a message: its name says it all
        return f"fetch: {text}", None, None
    return f"fetch: {type(exc).__name__}: {text[:300]}", None, None


def _dates(job: SourceJob) -> DateContext:
    """How this source's dates are read: its language and time zone."""
    return DateContext.for_source(job.language, job.timezone)


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
        self.fulltext = fulltext
        self.fulltext_min_chars = fulltext_min_chars
        self.max_items = max_items
        self.timeout_s = timeout_s
        self.max_body_bytes = max_body_bytes
        self.extract_workers = extract_workers
        self.extract_pool: ExtractPool | None = None

    def closed(self, reason: str) -> None:
        if self.extract_pool is not None:
            self.extract_pool.close()
            self.extract_pool = None

    # ------------------------------------------------------------------ start

    async def start(self) -> AsyncIterator[Any]:
        if self.extract_workers > 0 and self.fulltext and self.extract_pool is None:
            try:
                self.extract_pool = ExtractPool(self.extract_workers)
                self.extract_pool.start()
            except Exception as exc:  # no processes to be had: extract in this process
                log.warning("Extraction workers unavailable, extracting in-process error=%s", exc)
                self.extract_pool = None
        for job in self.jobs:
            callback = {
                "sitemap": self.parse_sitemap,
                "listing": self.parse_listing,
            }.get(job.kind, self.parse_feed)
            headers: dict[str, str] = {}
            if job.kind != "listing":
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
                self.collector.begin(job.source_id)
                self.collector.main_failed(job.source_id, f"fetch: bad URL {job.url!r}: {exc}")
                self.collector.end(job.source_id)
                continue
            self.collector.begin(job.source_id)
            yield request

    # ------------------------------------------------------------------ main documents

    def main_failed(self, failure: Failure) -> None:
        job: SourceJob = _request_of(failure).cb_kwargs["job"]
        c = self.collector
        try:
            message, status, retry_after = describe_failure(
                failure, self.timeout_s, self.max_body_bytes
            )
            if isinstance(failure.value, HttpError):
                c.fetched(job.source_id)
            c.main_failed(job.source_id, message, http_status=status, retry_after_until=retry_after)
        finally:
            c.end(job.source_id)

    def _not_modified(self, response: Response, job: SourceJob) -> bool:
        self.collector.fetched(job.source_id)
        if response.status == 304:
            self.collector.not_modified(job.source_id)
            return True
        self.collector.main_ok(
            job.source_id,
            http_status=response.status,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
        )
        return False

    def parse_feed(self, response: Response, job: SourceJob) -> Iterator[Any]:
        c = self.collector
        try:
            if self._not_modified(response, job):
                return
            with c.timer("parse"):
                parsed = parse_feed(
                    response.body,
                    feed_url=response.url,
                    content_type=_header(response, b"Content-Type") or "",
                    max_entries=self.max_items,
                    dates=_dates(job),
                )
            for warning in parsed.warnings:
                c.warn(job.source_id, warning)
            c.saw_date(job.source_id, entries_newest(parsed.entries))
            yield from self._follow_entries(job, parsed.entries)
        except MonitorError as exc:
            c.main_failed(job.source_id, str(exc), http_status=response.status)
        except Exception as exc:
            log.exception("Feed step failed source=%s", job.name)
            c.main_failed(job.source_id, f"feeds: unexpected {type(exc).__name__}: {exc}")
        finally:
            c.end(job.source_id)

    def parse_sitemap(
        self, response: Response, job: SourceJob, child: bool = False
    ) -> Iterator[Any]:
        c = self.collector
        try:
            if child:
                c.fetched(job.source_id)
            elif self._not_modified(response, job):
                return
            with c.timer("parse"):
                parsed = parse_sitemap(
                    response.body,
                    sitemap_url=response.url,
                    since=job.since,
                    max_entries=self.max_items,
                    dates=_dates(job),
                )
            for warning in parsed.warnings:
                c.warn(job.source_id, warning)
            c.saw_date(job.source_id, parsed.newest)
            for child_url in parsed.child_sitemaps[:MAX_CHILD_SITEMAPS]:
                c.begin(job.source_id)
                yield Request(
                    child_url,
                    callback=self.parse_sitemap,
                    errback=self.part_failed,
                    cb_kwargs={"job": job, "child": True},
                    dont_filter=True,
                )
            yield from self._follow_entries(job, parsed.entries)
        except MonitorError as exc:
            if child:
                c.error(job.source_id, str(exc))
            else:
                c.main_failed(job.source_id, str(exc), http_status=response.status)
        except Exception as exc:
            log.exception("Sitemap step failed source=%s", job.name)
            c.main_failed(job.source_id, f"sitemaps: unexpected {type(exc).__name__}: {exc}")
        finally:
            c.end(job.source_id)

    def parse_listing(self, response: Response, job: SourceJob) -> Iterator[Any]:
        c = self.collector
        try:
            if self._not_modified(response, job):
                return
            with c.timer("parse"):
                html, _ = decode_bytes(response.body, _header(response, b"Content-Type") or "")
                selectors = None
                if job.selectors_css or job.selectors_xpath:
                    selectors = ListingSelectors(
                        article_links_css=job.selectors_css, article_links_xpath=job.selectors_xpath
                    )
                links = extract_listing_links(
                    html, page_url=response.url, selectors=selectors, limit=self.max_items
                )
            if not links:
                c.warn(job.source_id, "no article links found on the listing page")
            entries = [
                FeedEntry(url=link.url, title=link.title, arrived_via="listing") for link in links
            ]
            yield from self._follow_entries(job, entries)
        except MonitorError as exc:
            c.main_failed(job.source_id, str(exc), http_status=response.status)
        except Exception as exc:
            log.exception("Listing step failed source=%s", job.name)
            c.main_failed(job.source_id, f"listings: unexpected {type(exc).__name__}: {exc}")
        finally:
            c.end(job.source_id)

    def part_failed(self, failure: Failure) -> None:
        job: SourceJob = _request_of(failure).cb_kwargs["job"]
        try:
            message, _, _ = describe_failure(failure, self.timeout_s, self.max_body_bytes)
            self.collector.error(job.source_id, f"{message} ({_request_of(failure).url})")
        finally:
            self.collector.end(job.source_id)

    # ------------------------------------------------------------------ entries → items / pages

    def _needs_page(self, job: SourceJob, entry: FeedEntry) -> bool:
        if not self.fulltext or not entry.url:
            return False
        if entry.arrived_via in ("sitemap", "listing"):
            return True
        if job.fulltext == "always":
            return True
        if job.fulltext == "never":
            return False
        return len(entry.text or entry.summary) < self.fulltext_min_chars

    def _follow_entries(self, job: SourceJob, entries: Sequence[FeedEntry]) -> Iterator[Any]:
        c = self.collector
        tally = c.tally(job.source_id)
        fresh: list[tuple[FeedEntry, str, str]] = []
        for entry in entries:
            if entry.url and not is_fetchable_link(entry.url):
                continue
            # a feed entry without a link is kept: identified by its GUID, or title and text
            canonical = canonicalize_url(entry.url) if entry.url else ""
            key = entry_key(entry.guid, canonical, entry.title, entry.text or entry.summary)
            if key in tally.seen_keys:
                continue
            tally.seen_keys.add(key)
            fresh.append((entry, canonical, key))
        if not fresh:
            return
        by_key, by_url = c.lookup_known(
            job.source_id, [k for _, _, k in fresh], [u for _, u, _ in fresh]
        )
        for entry, canonical, key in fresh:
            same = by_key.get(key)
            if (
                same is None
                and canonical in by_url
                and by_url[canonical].source_id == job.source_id
            ):
                same = by_url[canonical]
            if same is not None:
                if entry.arrived_via == "listing" or (
                    entry.arrived_via == "sitemap" and not entry.title
                ):
                    c.count_known(job.source_id)
                    continue
                c.begin(job.source_id)
                yield CollectedItem(job.source_id, entry, canonical, key)
                continue
            other = by_url.get(canonical)
            if other is not None and other.text:
                # the same article is stored from another source: reuse its text, no fetch
                article = ArticleRecord(
                    url=entry.url,
                    text=other.text,
                    title=other.title,
                    author=other.author,
                    published_at=other.published_at,
                    date_quality=other.date_quality,  # type: ignore[arg-type]
                )
                c.begin(job.source_id)
                yield CollectedItem(
                    job.source_id, entry, canonical, key, article, "copied", looked_up_new=True
                )
                continue
            if self._needs_page(job, entry):
                c.begin(job.source_id)
                yield Request(
                    entry.url,
                    callback=self.parse_article,
                    errback=self.article_failed,
                    cb_kwargs={"job": job, "entry": entry, "canonical": canonical, "key": key},
                    dont_filter=True,
                )
                continue
            status = "skipped" if entry.arrived_via != "feed" else "none"
            c.begin(job.source_id)
            yield CollectedItem(
                job.source_id,
                entry,
                canonical,
                key,
                None,
                status,  # type: ignore[arg-type]
                looked_up_new=True,
            )

    async def _extract(self, response: Response, job: SourceJob) -> ArticleRecord | None:
        content_type = _header(response, b"Content-Type") or ""
        c = self.collector
        if self.extract_pool is None:
            with c.timer("extract"):
                return extract_article(
                    response.body, url=response.url, content_type=content_type, dates=_dates(job)
                )
        with c.timer("extract"):  # only the hand-over is spent in this process
            future = self.extract_pool.submit(
                response.body, response.url, content_type, _dates(job)
            )
        result: ExtractResult = await maybe_deferred_to_future(_deferred_from(future))
        c.timings["extract_worker"] = c.timings.get("extract_worker", 0.0) + result.seconds
        return result.article

    async def parse_article(
        self, response: Response, job: SourceJob, entry: FeedEntry, canonical: str, key: str
    ) -> AsyncIterator[Any]:
        c = self.collector
        try:
            c.fetched(job.source_id)
            try:
                article = await self._extract(response, job)
            except ExtractCrashed as exc:
                log.warning("Extraction worker died source=%s url=%s", job.name, response.url)
                c.error(job.source_id, f"extract: {response.url}: {exc}")
                article = None
                crashed = True
            else:
                crashed = False
            if article is None:
                if not crashed:
                    c.error(job.source_id, f"extract: no article text found at {response.url}")
                if entry.arrived_via == "feed":
                    c.begin(job.source_id)
                    yield CollectedItem(
                        job.source_id, entry, canonical, key, None, "failed", looked_up_new=True
                    )
                return
            c.saw_date(job.source_id, article.published_at if entry.arrived_via != "feed" else None)
            c.begin(job.source_id)
            yield CollectedItem(
                job.source_id, entry, canonical, key, article, "ok", looked_up_new=True
            )
        except Exception as exc:
            log.exception("Article step failed source=%s url=%s", job.name, response.url)
            c.error(job.source_id, f"extract: {response.url}: {type(exc).__name__}: {exc}")
        finally:
            c.end(job.source_id)

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        kwargs = _request_of(failure).cb_kwargs
        job: SourceJob = kwargs["job"]
        entry: FeedEntry = kwargs["entry"]
        c = self.collector
        try:
            message, _, _ = describe_failure(failure, self.timeout_s, self.max_body_bytes)
            c.error(job.source_id, f"{message} (article {_request_of(failure).url})")
            if entry.arrived_via == "feed":
                # the feed's own text is kept; the page is not retried for this entry
                c.begin(job.source_id)
                yield CollectedItem(
                    job.source_id,
                    entry,
                    kwargs["canonical"],
                    kwargs["key"],
                    None,
                    "failed",
                    looked_up_new=True,
                )
        finally:
            c.end(job.source_id)


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


def _request_of(failure: Failure) -> Request:
    request = getattr(failure, "request", None)
    if request is None:  # Scrapy always sets it for errbacks; be loud if that changes
        raise RuntimeError("errback failure without a request")
    return request  # type: ignore[no-any-return]


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if value is None:
        return None
    return bytes(value).decode("latin-1").strip() or None
