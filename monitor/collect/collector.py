"""The crawl's bookkeeping, shared by the spider and the store pipeline (no Scrapy types here).

Per source it counts work in flight (the main request, article requests, items waiting for the
store); when that drops to zero the source is *done*: its ``crawl_run_sources`` row and fetch
state (validators, failures, next due time) are written in one transaction and progress is
reported. Every per-source step is guarded by the caller; whatever fails is recorded here as a
message against that source and the run goes on.

Items are stored in small batches (:meth:`Collector.submit`): one transaction per
``STORE_BATCH`` items (or fewer, when the oldest has waited ``STORE_BATCH_MAX_AGE_S``, and at the
end of the crawl). A batch commits all or nothing — its items with their revisions, tags and story
rows — so a crash never leaves half-written data; an item waiting in a batch keeps its source
open. When a batch fails, its items are stored again one per transaction, so one bad item costs
only itself.

A source the crawl never reached (stopped early, e.g. on SIGTERM) is recorded as ``skipped``: its
fetch state is left alone, so it keeps its due time, with no failure counted and no back-off.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.collect.polling import next_due_after_failure, next_due_after_success
from monitor.collect.records import CollectedItem, FeedEntry, SourceJob
from monitor.collect.store_items import store_collected
from monitor.config import CrawlSettings
from monitor.db.engine import Database
from monitor.db.items import KnownItem, find_known
from monitor.db.runs import fetch_state, record_run_source
from monitor.pipeline import ItemStage, StageContext, run_stages
from monitor.records import SourceOutcome

log = logging.getLogger(__name__)
MAX_MESSAGES = 50
STORE_BATCH = 25
STORE_BATCH_MAX_AGE_S = 1.0
NOT_REACHED = "not reached: crawl stopped early"


@dataclass
class SourceTally:
    job: SourceJob
    started: float = field(default_factory=time.monotonic)
    pending: int = 0
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
    done: bool = False
    skipped: bool = False
    status: str = "ok"
    seen_keys: set[str] = field(default_factory=set)

    def note(self, message: str) -> None:
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message[:1000])


@dataclass(frozen=True)
class ProgressEvent:
    source: str
    status: str
    sources_done: int
    sources_total: int
    new_items: int
    errors: int


Progress = Callable[[ProgressEvent], None]


class Collector:
    def __init__(
        self,
        db: Database,
        crawl: CrawlSettings,
        jobs: Sequence[SourceJob],
        *,
        run_id: int,
        stages: Sequence[ItemStage] = (),
        progress: Progress | None = None,
        fulltext: bool = True,
        batch_size: int = STORE_BATCH,
    ) -> None:
        self.db = db
        self.crawl = crawl
        self.run_id = run_id
        self.stages = list(stages)
        self.progress = progress
        self.fulltext = fulltext
        self.tallies = {job.source_id: SourceTally(job) for job in jobs}
        self.ctx = StageContext(run_id=run_id)
        self.timings: dict[str, float] = {}
        self.done = 0
        self.batch_size = max(batch_size, 1)
        self._batch: list[CollectedItem] = []
        self._batch_since = 0.0

    # ------------------------------------------------------------------ accounting

    def tally(self, source_id: int) -> SourceTally:
        return self.tallies[source_id]

    def begin(self, source_id: int) -> None:
        self.tallies[source_id].pending += 1

    def end(self, source_id: int) -> None:
        tally = self.tallies[source_id]
        tally.pending -= 1
        if tally.pending <= 0 and not tally.done:
            self.finalize(tally)

    @contextmanager
    def timer(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t0

    def fetched(self, source_id: int) -> None:
        self.tallies[source_id].fetched += 1

    def main_ok(
        self, source_id: int, *, http_status: int, etag: str | None, last_modified: str | None
    ) -> None:
        tally = self.tallies[source_id]
        tally.http_status = http_status
        tally.etag, tally.last_modified = etag, last_modified

    def not_modified(self, source_id: int) -> None:
        tally = self.tallies[source_id]
        tally.http_status = 304
        tally.not_modified = True

    def main_failed(
        self,
        source_id: int,
        message: str,
        *,
        http_status: int | None = None,
        retry_after_until: datetime | None = None,
    ) -> None:
        tally = self.tallies[source_id]
        tally.failure = message
        tally.http_status = http_status
        tally.retry_after_until = retry_after_until
        tally.errors += 1
        tally.note(message)
        log.warning("Source failed source=%s error=%s", tally.job.name, message)

    def error(self, source_id: int, message: str) -> None:
        tally = self.tallies[source_id]
        tally.errors += 1
        tally.note(message)
        log.info("Source error source=%s error=%s", tally.job.name, message)

    def warn(self, source_id: int, message: str) -> None:
        self.tallies[source_id].note("warning: " + message)

    def count_known(self, source_id: int, n: int = 1) -> None:
        self.tallies[source_id].known += n

    def saw_date(self, source_id: int, when: datetime | None) -> None:
        tally = self.tallies[source_id]
        if when is not None and (tally.newest_item is None or when > tally.newest_item):
            tally.newest_item = when

    # ------------------------------------------------------------------ store

    def lookup_known(
        self, source_id: int, entry_keys: Sequence[str], canonical_urls: Sequence[str]
    ) -> tuple[dict[str, KnownItem], dict[str, KnownItem]]:
        with self.timer("store"), self.db.session() as session:
            return find_known(session, source_id, entry_keys, canonical_urls)

    def submit(self, item: CollectedItem) -> None:
        """Queue an item for the next batch (its source stays open until the batch is stored);
        the batch is stored once it is full. Never raises."""
        if not self._batch:
            self._batch_since = time.monotonic()
        self._batch.append(item)
        if len(self._batch) >= self.batch_size:
            self.flush()

    def flush(self, *, stale_only: bool = False) -> None:
        """Store the waiting batch now (``stale_only``: only when its oldest item has waited
        ``STORE_BATCH_MAX_AGE_S``), then close the items' share of their sources. Never raises."""
        if not self._batch:
            return
        if stale_only and time.monotonic() - self._batch_since < STORE_BATCH_MAX_AGE_S:
            return
        items, self._batch = self._batch, []
        self.store_batch(items)
        for item in items:
            self.end(item.source_id)

    def store(self, item: CollectedItem) -> str:
        """Store one entry and run the stages, in its own transaction. Never raises."""
        return self.store_batch([item])[0]

    def store_batch(self, items: Sequence[CollectedItem]) -> list[str]:
        """Store entries and run the stages on each, all in one transaction; outcomes in order
        (``new``, ``revised``, ``known`` or ``error``). Never raises."""
        if not items:
            return []
        stats = Counter(self.ctx.stats)
        try:
            with self.timer("store"), self.db.session() as session:
                outcomes = [self._store_in(session, item) for item in items]
        except Exception as exc:
            self.ctx.stats = stats  # the batch was rolled back, and so were its stage counts
            if len(items) > 1:
                log.info(
                    "Store batch failed, storing one at a time items=%d error=%s",
                    len(items),
                    type(exc).__name__,
                )
                return [self.store_batch([item])[0] for item in items]
            item = items[0]
            if isinstance(exc, IntegrityError):
                outcomes = ["known"]  # stored meanwhile by a concurrent crawl
            else:
                log.exception(
                    "Store failed source=%s url=%s",
                    self.tallies[item.source_id].job.name,
                    item.entry.url,
                )
                self.error(item.source_id, f"store: {item.entry.url}: {type(exc).__name__}: {exc}")
                outcomes = ["error"]
        for item, outcome in zip(items, outcomes, strict=True):
            tally = self.tallies[item.source_id]
            if outcome == "new":
                tally.new += 1
            elif outcome == "revised":
                tally.revised += 1
            elif outcome == "known":
                tally.known += 1
        return outcomes

    def _store_in(self, session: Session, item: CollectedItem) -> str:
        outcome, row = store_collected(
            session,
            item,
            run_id=self.run_id,
            now=datetime.now(UTC),
            declared_language=self.tallies[item.source_id].job.language,
        )
        if row is not None and self.stages:
            with self.timer("stages"):
                run_stages(self.stages, session, row, self.ctx)
        return outcome

    # ------------------------------------------------------------------ finishing

    def finalize(self, tally: SourceTally) -> None:
        """Write the source's run row and fetch state; report progress. Never raises."""
        tally.done = True
        job = tally.job
        now = datetime.now(UTC)
        if tally.skipped:
            tally.status = "skipped"
        elif tally.failure is not None:
            tally.status = "failed"
        elif tally.not_modified:
            tally.status = "not_modified"
        else:
            tally.status = "ok"
        try:
            with self.db.session() as session:
                if not tally.skipped:
                    self._record_fetch_state(session, tally, now)
                record_run_source(
                    session,
                    self.run_id,
                    SourceOutcome(
                        source_id=job.source_id,
                        name=job.name,
                        status=tally.status,
                        http_status=tally.http_status,
                        fetched=tally.fetched,
                        new_items=tally.new,
                        known_items=tally.known,
                        errors=tally.errors,
                        messages=tuple(tally.messages),
                        duration_s=round(time.monotonic() - tally.started, 3),
                    ),
                )
        except Exception:
            log.exception("Recording source outcome failed source=%s", job.name)
        self.done += 1
        if self.progress is not None:
            try:
                self.progress(
                    ProgressEvent(
                        source=job.name,
                        status=tally.status,
                        sources_done=self.done,
                        sources_total=len(self.tallies),
                        new_items=sum(t.new for t in self.tallies.values()),
                        errors=sum(t.errors for t in self.tallies.values()),
                    )
                )
            except Exception:
                log.exception("Progress callback failed")

    def _record_fetch_state(self, session: Session, tally: SourceTally, now: datetime) -> None:
        job = tally.job
        state = fetch_state(session, job.source_id)
        state.last_attempt_at = now
        state.last_status = tally.http_status
        if tally.failure is None:
            state.last_success_at = now
            state.consecutive_failures = 0
            state.next_due_at = next_due_after_success(now, job.poll_interval_minutes)
            state.retry_after_until = None
            if not tally.not_modified:
                state.etag, state.last_modified = tally.etag, tally.last_modified
            if tally.newest_item is not None and (
                state.last_item_at is None or tally.newest_item > state.last_item_at
            ):
                state.last_item_at = tally.newest_item
        else:
            state.consecutive_failures = (state.consecutive_failures or 0) + 1
            state.last_error = tally.failure
            state.last_error_at = now
            state.retry_after_until = tally.retry_after_until
            state.next_due_at = next_due_after_failure(
                now,
                state.consecutive_failures,
                base_minutes=self.crawl.backoff_base_minutes,
                max_hours=self.crawl.backoff_max_hours,
                retry_after_until=tally.retry_after_until,
            )

    def finish(self) -> None:
        """Store what is waiting, then finalize sources still open (the crawl ended or was
        stopped before they were done); a source never reached is ``skipped``."""
        self.flush()
        for tally in self.tallies.values():
            if tally.done:
                continue
            if tally.http_status is None and tally.failure is None and tally.fetched == 0:
                tally.skipped = True
                tally.note(NOT_REACHED)
                log.info("Source not reached source=%s", tally.job.name)
            elif tally.failure is None and tally.pending > 0:
                tally.note("warning: crawl ended before every request of this source finished")
            self.finalize(tally)

    def totals(self) -> dict[str, Any]:
        t = list(self.tallies.values())
        return {
            "sources_total": len(t),
            "sources_ok": sum(1 for x in t if x.status in ("ok", "not_modified")),
            "sources_failed": sum(1 for x in t if x.status == "failed"),
            "sources_skipped": sum(1 for x in t if x.status == "skipped"),
            "fetched": sum(x.fetched for x in t),
            "new_items": sum(x.new for x in t),
            "known_items": sum(x.known for x in t),
            "revised_items": sum(x.revised for x in t),
            "errors": sum(x.errors for x in t),
            "relevant_items": int(self.ctx.stats.get("judge/relevant", 0)),
            "copies_folded": int(self.ctx.stats.get("fold/copies", 0)),
        }


def entries_newest(entries: Sequence[FeedEntry]) -> datetime | None:
    dates = [e.published_at for e in entries if e.published_at is not None]
    return max(dates) if dates else None
