"""What happened to one source in this run: counts, messages, its main document, its status.

Plain bookkeeping, filled in while the source is crawled (the spider adapter, the batch writer)
and read once it is done (its run row, fetch state and progress report) and for the run's
totals. A source keeps at most ``MAX_MESSAGES`` messages, each cut at 1,000 characters; a
warning is a message that counts no error.

The main document (feed, sitemap or listing page) decides the source's status: ``failed`` when
it could not be fetched or read, ``not_modified`` on a 304, else ``ok``; a source the crawl never
reached is ``skipped``. Errors on article pages or child sitemaps are counted and noted, and the
source stays ``ok``.
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

SourceStatus = Literal["ok", "failed", "not_modified", "skipped"]


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

    def stored(self, outcome: StoreOutcome) -> None:
        if outcome == "new":
            self.new += 1
        elif outcome == "revised":
            self.revised += 1
        elif outcome == "known":
            self.known += 1

    # ------------------------------------------------------------------ the end

    def final_status(self) -> SourceStatus:
        if self.skipped:
            return "skipped"
        if self.failure is not None:
            return "failed"
        if self.not_modified:
            return "not_modified"
        return "ok"

    def fetch_outcome(self) -> FetchOutcome:
        """What the fetch-state policy needs to know (:func:`~monitor.collect.polling.next_fetch_state`)."""
        return FetchOutcome(
            http_status=self.http_status,
            failure=self.failure,
            not_modified=self.not_modified,
            etag=self.etag,
            last_modified=self.last_modified,
            retry_after_until=self.retry_after_until,
            newest_item=self.newest_item,
        )
