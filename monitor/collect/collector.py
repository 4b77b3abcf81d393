"""One crawl run's collection, wired together from parts with one job each (no Scrapy types here).

- :mod:`~monitor.collect.tally` — what happened to each source (counts, messages, status);
- :mod:`~monitor.collect.ledger` — work in flight per source and the guard around each step;
- :mod:`~monitor.collect.plan` — store, copy, fetch or skip each entry (pure);
- :mod:`~monitor.collect.batches` — items stored in all-or-nothing batches with their stages;
- :mod:`~monitor.collect.outcome` — a done source's run row and fetch state, written at once
  (the policy: :func:`monitor.collect.polling.next_fetch_state`);
- :mod:`~monitor.collect.progress` — a progress report per source done.

The :class:`Collector` connects them: a stored item counts on its source's tally and releases
its hold on the source; a source that is done has its outcome written and reported. An engine
(the Scrapy spider in ``spiders/``) drives it: it records what happens on the tallies, runs each
step of a source through the ledger, plans entries with :meth:`Collector.plan`, stores the items
of a feed at once with :meth:`Collector.store_now` (before any of their article pages is asked
for) and submits the rest with :meth:`Collector.submit`.

Each source asks for at most ``crawl.max_article_fetches_per_source`` article pages per run; the
planner defers the rest to a later run.

A source the crawl never reached (stopped early, e.g. on SIGTERM) is recorded as ``skipped``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.collect.batches import STORE_BATCH, BatchWriter, Stored
from monitor.collect.ledger import Ledger
from monitor.collect.outcome import record_source_outcome
from monitor.collect.plan import (
    Decision,
    Defer,
    Fetch,
    KnownItems,
    PagePolicy,
    identify,
    plan_entries,
)
from monitor.collect.progress import Progress, ProgressReporter
from monitor.collect.records import CollectedItem, FeedEntry, SourceJob
from monitor.collect.tally import SourceTally
from monitor.collect.timings import Timings
from monitor.config import CrawlSettings, shipped_outlets
from monitor.db.engine import Database
from monitor.db.items import find_known
from monitor.identity import Outlets
from monitor.pipeline import ItemStage

log = logging.getLogger(__name__)


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
        batch_size: int = STORE_BATCH,
        outlets: Outlets | None = None,
    ) -> None:
        """``outlets``: for entry keys and stored title keys (default: the shipped list)."""
        self.db = db
        self.crawl = crawl
        self.outlets = outlets or shipped_outlets()
        self.run_id = run_id
        self.tallies = {job.source_id: SourceTally(job) for job in jobs}
        self.timings = Timings()
        self.ledger = Ledger(self.tallies, on_done=self._source_done)
        self.writer = BatchWriter(
            db,
            run_id=run_id,
            jobs={job.source_id: job for job in jobs},
            stages=stages,
            timings=self.timings,
            on_stored=self._stored,
            batch_size=batch_size,
            outlets=self.outlets,
        )
        self.reporter = ProgressReporter(progress, self.tallies)

    def tally(self, source_id: int) -> SourceTally:
        return self.tallies[source_id]

    # ------------------------------------------------------------------ entries and items

    def plan(
        self, job: SourceJob, entries: Sequence[FeedEntry], policy: PagePolicy
    ) -> list[Decision]:
        """Decide for the entries not met before in this run, after one archive look-up; the
        source's article pages are counted against its cap for the run."""
        tally = self.tallies[job.source_id]
        candidates = identify(entries, tally.seen_keys, outlets=self.outlets)
        tally.seen_keys.update(c.key for c in candidates)
        if not candidates:
            return []
        with self.timings.measure("store"), self.db.session() as session:
            by_key, by_url = find_known(
                session,
                job.source_id,
                [c.key for c in candidates],
                [c.canonical_url for c in candidates],
            )
        budget = max(self.crawl.max_article_fetches_per_source - tally.pages_asked, 0)
        decisions = plan_entries(job, candidates, KnownItems(by_key, by_url), policy, budget=budget)
        for d in decisions:
            if isinstance(d, Fetch):
                tally.page_asked()
            elif isinstance(d, Defer):
                if d.item is not None:
                    tally.pages_deferred += 1
                else:
                    tally.not_stored += 1
        return decisions

    def submit(self, item: CollectedItem) -> None:
        """Queue an item for storing; its hold on its source ends once its batch is stored."""
        self.writer.submit(item)

    def store_now(self, items: Sequence[CollectedItem]) -> None:
        """Store these items now (in batches), each holding its source until it is stored."""
        if not items:
            return
        for item in items:
            self.ledger.hold(item.source_id)
            self.writer.submit(item)
        self.writer.flush()

    def flush(self, *, stale_only: bool = False) -> None:
        self.writer.flush(stale_only=stale_only)

    def _stored(self, results: Sequence[Stored]) -> None:
        for r in results:
            tally = self.tallies[r.item.source_id]
            if r.error is not None:
                tally.error(r.error)
            tally.stored(r.outcome, page_result=r.item.page_result)
        for r in results:
            self.ledger.release(r.item.source_id)

    # ------------------------------------------------------------------ the end

    def _source_done(self, tally: SourceTally) -> None:
        """Write the source's run row and fetch state; report progress. Never raises."""
        tally.close()
        try:
            record_source_outcome(self.db, self.run_id, tally, self.crawl, now=datetime.now(UTC))
        except Exception:
            log.exception("Recording source outcome failed source=%s", tally.job.name)
        self.reporter.source_done(tally)

    def finish(self) -> None:
        """Store what is waiting, then close the sources still open (the crawl ended or was
        stopped before they were done); a source never reached is ``skipped``."""
        self.writer.flush()
        for source_id, tally in self.tallies.items():
            if self.ledger.is_done(source_id):
                continue
            if not tally.reached:
                tally.not_reached()
            elif tally.failure is None and self.ledger.in_flight(source_id) > 0:
                tally.warn("crawl ended before every request of this source finished")
            self.ledger.close(source_id)

    def totals(self) -> dict[str, Any]:
        t = list(self.tallies.values())
        stats = self.writer.ctx.stats
        return {
            "sources_total": len(t),
            "sources_ok": sum(1 for x in t if x.status in ("ok", "not_modified")),
            "sources_partial": sum(1 for x in t if x.status == "partial"),
            "sources_failed": sum(1 for x in t if x.status == "failed"),
            "sources_skipped": sum(1 for x in t if x.status == "skipped"),
            "fetched": sum(x.fetched for x in t),
            "new_items": sum(x.new for x in t),
            "known_items": sum(x.known for x in t),
            "revised_items": sum(x.revised for x in t),
            "attached_items": sum(x.attached for x in t),
            "errors": sum(x.errors for x in t),
            "relevant_items": int(stats.get("judge/relevant", 0)),
            "copies_folded": int(stats.get("fold/copies", 0)),
        }
