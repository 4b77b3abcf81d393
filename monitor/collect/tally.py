"""What happened to one source in this run: counts, messages, its main document, its status.

Plain bookkeeping, filled in while the source is crawled (the spider adapter, the batch writer)
and read once it is done (its run row, fetch state and progress report) and for the run's
totals. A source keeps at most ``MAX_MESSAGES`` messages, each cut at 1,000 characters; a
warning is a message that counts no error.

The main document (feed, sitemap or listing page) decides the source's status: ``failed`` when
it could not be fetched or read, ``not_modified`` on a 304; a source the crawl never reached is
``skipped``. Otherwise the source is ``ok`` only when every entry was stored and every article
page it asked for was read: article pages that failed or were cut off (the crawl ended first),
and entries not stored (a store error; a sitemap or listing entry whose page failed or waits for
a later run), make it ``partial``, with a note saying how many (:meth:`SourceTally.shortfall`).
Feed entries whose pages wait for a later run (the run's page cap) were stored with their feed
text: a warning, still ``ok``. Errors on child sitemaps are counted and noted.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from monitor.collect.polling import FetchOutcome
from monitor.collect.records import SourceJob, StoreOutcome

log = logging.getLogger(__name__)
MAX_MESSAGES = 50
NOT_REACHED = "not reached: crawl stopped early"

SourceStatus = Literal["ok", "partial", "failed", "not_modified", "skipped"]


@dataclass
class SourceTally:
    job: SourceJob
    started: float = field(default_factory=time.monotonic)
    fetched: int = 0
    new: int = 0
    known: int = 0
    revised: int = 0
    errors: int = 0
    messages: list[str] = field(default_factory=list)
    http_status: int | None = None
    failure: str | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    retry_after_until: datetime | None = None
    newest_item: datetime | None = None
    skipped: bool = False
    status: SourceStatus = "ok"
    seen_keys: set[str] = field(default_factory=set)  # entry keys met in this run
    attached: int = 0  # article texts attached to items stored with their feed text
    pages_asked: int = 0  # article pages requested
    pages_done: int = 0  # … answered or failed (the rest were cut off by the end of the crawl)
    pages_failed: int = 0  # … that gave no article text (HTTP error, timeout, nothing found)
    pages_deferred: int = 0  # feed entries stored with their feed text, page left for later
    not_stored: int = 0  # entries this run did not store

    # ------------------------------------------------------------------ messages

    def note(self, message: str) -> None:
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message[:1000])

    def warn(self, message: str) -> None:
        self.note("warning: " + message)

    def error(self, message: str) -> None:
        """Something of this source failed (an article page, a child sitemap, storing an item)."""
        self.errors += 1
        self.note(message)
        log.info("Source error source=%s error=%s", self.job.name, message)

    # ------------------------------------------------------------------ the main document

    def main_response(self, http_status: int, etag: str | None, last_modified: str | None) -> bool:
        """The main document answered; True when it was not modified (304: nothing to read)."""
        self.fetched += 1
        self.http_status = http_status
        if http_status == 304:
            self.not_modified = True
            return True
        self.etag, self.last_modified = etag, last_modified
        return False

    def main_failed(
        self,
        message: str,
        *,
        http_status: int | None = None,
        retry_after_until: datetime | None = None,
    ) -> None:
        """The main document could not be fetched or read: the source failed in this run."""
        self.failure = message
        self.http_status = http_status
        self.retry_after_until = retry_after_until
        self.errors += 1
        self.note(message)
        log.warning("Source failed source=%s error=%s", self.job.name, message)

    def not_reached(self) -> None:
        self.skipped = True
        self.note(NOT_REACHED)
        log.info("Source not reached source=%s", self.job.name)

    @property
    def reached(self) -> bool:
        return self.http_status is not None or self.failure is not None or self.fetched > 0

    # ------------------------------------------------------------------ entries

    def saw_date(self, when: datetime | None) -> None:
        if when is not None and (self.newest_item is None or when > self.newest_item):
            self.newest_item = when

    def stored(self, outcome: StoreOutcome, *, page_result: bool = False) -> None:
        """Count what storing an item did; an article page's outcome for an item stored
        earlier (``page_result``) counts as attached, or as nothing when it gave no text."""
        if outcome == "new":
            self.new += 1
        elif outcome == "revised":
            self.revised += 1
        elif outcome == "attached":
            self.attached += 1
        elif outcome == "known" and not page_result:
            self.known += 1
        elif outcome == "error" and not page_result:
            self.not_stored += 1

    # ------------------------------------------------------------------ article pages

    def page_asked(self) -> None:
        self.pages_asked += 1

    def page_done(self, *, failed: bool) -> None:
        self.pages_done += 1
        if failed:
            self.pages_failed += 1

    @property
    def pages_cut_off(self) -> int:
        """Article pages asked for and neither answered nor failed: the crawl ended first."""
        return max(self.pages_asked - self.pages_done, 0)

    def shortfall(self) -> str | None:
        """What this run did not do for the source ("3 article pages failed, 2 cut off"), or
        None when every page asked for was read and every entry stored."""
        parts = []
        if self.pages_failed:
            parts.append(f"{_count(self.pages_failed, 'article page')} failed")
        if self.pages_cut_off:
            parts.append(f"{_count(self.pages_cut_off, 'article page')} cut off")
        if self.not_stored:
            parts.append(f"{_count(self.not_stored, 'entry', 'entries')} not stored")
        return ", ".join(parts) or None

    # ------------------------------------------------------------------ the end

    def final_status(self) -> SourceStatus:
        if self.skipped:
            return "skipped"
        if self.failure is not None:
            return "failed"
        if self.not_modified:
            return "not_modified"
        return "partial" if self.shortfall() else "ok"

    def close(self) -> SourceStatus:
        """Settle the status once the source is done; a ``partial`` source's first message
        says what fell short ("partial: 2 article pages failed, 5 cut off")."""
        self.status = self.final_status()
        if self.status == "partial":
            self.messages.insert(0, f"partial: {self.shortfall()}")
            del self.messages[MAX_MESSAGES:]
        if self.pages_deferred and self.status in ("ok", "partial"):
            self.warn(
                f"{_count(self.pages_deferred, 'article page')} left for the next run "
                "(crawl.max_article_fetches_per_source); those entries are stored with their "
                "feed text"
            )
        return self.status

    @property
    def work_left(self) -> bool:
        """Whether entries or article pages of this run are left for the next one (cut off,
        deferred by the cap, not stored): the next run must read the whole feed again."""
        return bool(self.pages_cut_off or self.pages_deferred or self.not_stored)

    def fetch_outcome(self) -> FetchOutcome:
        """What the fetch-state policy needs to know (:func:`~monitor.collect.polling.next_fetch_state`).
        With work left for the next run, no validators are kept (a 304 would hide the entries
        whose pages are still to fetch) and the newest date seen does not move (a sitemap
        lists only entries newer than it)."""
        left = self.work_left
        return FetchOutcome(
            http_status=self.http_status,
            failure=self.failure,
            not_modified=self.not_modified,
            etag=None if left else self.etag,
            last_modified=None if left else self.last_modified,
            retry_after_until=self.retry_after_until,
            newest_item=None if left else self.newest_item,
        )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
