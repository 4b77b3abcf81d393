"""Storing collected items in small all-or-nothing batches, each item with its stages.

:meth:`BatchWriter.submit` queues an item; the batch is written in one transaction when it holds
``batch_size`` items (``STORE_BATCH``), when its oldest item has waited ``STORE_BATCH_MAX_AGE_S``
(:meth:`BatchWriter.flush` with ``stale_only``, called on a timer) and at the end of the crawl. A
batch commits all or nothing — its items with their revisions, tags and story rows — so a crash
never leaves half-written data. When a batch fails, its items are stored again one per
transaction, so one bad item costs only itself; a unique-key clash on a single item means a
concurrent crawl stored it meanwhile (``known``).

Each item is stored by :func:`~monitor.collect.store_items.store_collected` (new, revised or
known) and, when new or revised, passed through the stages (judge, fold); the stored items of a
batch's known entries (article pages of entries stored earlier, entries met again) are read in
one look-up at the start of the batch. After each batch the
writer hands every item's outcome to ``on_stored``, in order. It never raises.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.collect.records import CollectedItem, SourceJob, StoreOutcome
from monitor.collect.store_items import store_collected
from monitor.collect.timings import Timings
from monitor.config import shipped_outlets
from monitor.db.engine import Database
from monitor.db.items import EntryRows, rows_for_entries
from monitor.identity import Outlets
from monitor.pipeline import ItemStage, StageContext, run_stages

log = logging.getLogger(__name__)
STORE_BATCH = 25
STORE_BATCH_MAX_AGE_S = 1.0


@dataclass(frozen=True, slots=True)
class Stored:
    item: CollectedItem
    outcome: StoreOutcome
    error: str | None = None  # what went wrong, when the outcome is "error"


class BatchWriter:
    def __init__(
        self,
        db: Database,
        *,
        run_id: int | None,
        jobs: Mapping[int, SourceJob],
        stages: Sequence[ItemStage] = (),
        timings: Timings | None = None,
        on_stored: Callable[[Sequence[Stored]], None] | None = None,
        batch_size: int = STORE_BATCH,
        outlets: Outlets | None = None,
    ) -> None:
        self.db = db
        self.outlets = outlets or shipped_outlets()
        self.run_id = run_id
        self.jobs = jobs
        self.stages = list(stages)
        self.ctx = StageContext(run_id=run_id)
        self.timings = timings if timings is not None else Timings()
        self.on_stored = on_stored
        self.batch_size = max(batch_size, 1)
        self._batch: list[CollectedItem] = []
        self._batch_since = 0.0

    def submit(self, item: CollectedItem) -> None:
        """Queue an item for the next batch; the batch is stored once it is full."""
        if not self._batch:
            self._batch_since = time.monotonic()
        self._batch.append(item)
        if len(self._batch) >= self.batch_size:
            self.flush()

    def flush(self, *, stale_only: bool = False) -> None:
        """Store the waiting batch now (``stale_only``: only when its oldest item has waited
        ``STORE_BATCH_MAX_AGE_S``) and report the outcomes."""
        if not self._batch:
            return
        if stale_only and time.monotonic() - self._batch_since < STORE_BATCH_MAX_AGE_S:
            return
        items, self._batch = self._batch, []
        results = self.store_batch(items)
        if self.on_stored is not None:
            self.on_stored(results)

    def store_batch(self, items: Sequence[CollectedItem]) -> list[Stored]:
        """Store entries and run the stages on each, all in one transaction (one at a time when
        that fails); the outcomes in order."""
        if not items:
            return []
        stats = Counter(self.ctx.stats)
        try:
            with self.timings.measure("store"), self.db.session() as session:
                rows = self._known_rows(session, items)
                outcomes = [self._store_in(session, item, rows) for item in items]
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
                return [Stored(item, "known")]  # stored meanwhile by a concurrent crawl
            log.exception(
                "Store failed source=%s url=%s", self.jobs[item.source_id].name, item.entry.url
            )
            error = f"store: {item.entry.url}: {type(exc).__name__}: {exc}"
            return [Stored(item, "error", error)]
        return [Stored(item, outcome) for item, outcome in zip(items, outcomes, strict=True)]

    @staticmethod
    def _known_rows(session: Session, items: Sequence[CollectedItem]) -> EntryRows | None:
        """The stored items of the batch's known entries (page outcomes, entries met again), in
        one look-up for the batch instead of one per entry."""
        known = [
            (item.source_id, item.entry_key, item.canonical_url)
            for item in items
            if not item.looked_up_new
        ]
        return rows_for_entries(session, known) if len(known) > 1 else None

    def _store_in(
        self, session: Session, item: CollectedItem, rows: EntryRows | None = None
    ) -> StoreOutcome:
        outcome, row = store_collected(
            session,
            item,
            run_id=self.run_id,
            now=datetime.now(UTC),
            declared_language=self.jobs[item.source_id].language,
            outlets=self.outlets,
            rows=rows,
        )
        if row is not None and self.stages:
            with self.timings.measure("stages"):
                run_stages(self.stages, session, row, self.ctx)
        return outcome
