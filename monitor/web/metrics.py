"""Prometheus metrics read from the archive, so the web process exports what the crawls, the
scheduler and the digests (other processes) wrote.

:class:`ArchiveCollector` is a custom collector: every scrape reads the read layer
(:mod:`monitor.db.read.operations`). Totals of tables that are never pruned are summed on each
scrape; job timings and failed fetches are read incrementally after a watermark kept here, so
their counters start from what the archive holds when the web app starts (a restart is a counter
reset, as Prometheus expects) and each scrape reads only new rows.

=========================================  =======  ============================================
metric                                     type     labels
=========================================  =======  ============================================
``monitor_archive_up``                     gauge    1 when the archive answered this scrape
``monitor_crawl_runs_total``               counter  ``status`` (ok, partial, failed, aborted, …)
``monitor_items_new_total``                counter  items stored by crawls
``monitor_items_relevant_total``           counter  of them, judged relevant
``monitor_items_revised_total``            counter  known items whose text changed
``monitor_items_folded_total``             counter  copies folded into an existing story
``monitor_source_fetch_failures_total``    counter  ``kind`` (http_4xx, http_5xx, http_429,
                                                    timeout, dns, refused, robots, too_large,
                                                    redirects, parse, other)
``monitor_sources``                        gauge    ``state`` (ok, failing, backing_off,
                                                    never_fetched, disabled)
``monitor_source_consecutive_failures``    gauge    ``source`` (enabled sources)
``monitor_source_backoff_seconds``         gauge    ``source``: time until a failing source is
                                                    tried again (0: not backing off)
``monitor_digest_deliveries_total``        counter  ``outcome`` (accepted, temporary, permanent,
                                                    error): SMTP attempts
``monitor_digests``                        gauge    ``status`` (sent, failed, rendered, …)
``monitor_job_runs_total``                 counter  ``job`` (crawl, digest, upkeep), ``status``
``monitor_job_duration_seconds``           histo.   ``job``
``monitor_scheduler_up``                   gauge    1 while a ``monitor run`` heartbeat is fresh
``monitor_scheduler_heartbeat_age_seconds`` gauge   age of the newest heartbeat (absent: none)
=========================================  =======  ============================================
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from monitor.db.engine import Database
from monitor.db.read.operations import (
    SourceState,
    crawl_totals,
    daemon_heartbeat,
    delivery_counts,
    digest_counts,
    failed_fetches,
    finished_jobs,
    source_states,
)
from monitor.web.health import heartbeat_age_s, stale_after_s

log = logging.getLogger(__name__)

JOB_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
FETCH_FAILURE_KINDS = (
    "http_429",
    "http_4xx",
    "http_5xx",
    "timeout",
    "dns",
    "refused",
    "robots",
    "too_large",
    "redirects",
    "parse",
    "other",
)


def fetch_failure_kind(http_status: int | None, message: str) -> str:
    """The kind of a source's failed fetch, from its HTTP status and the recorded message."""
    if http_status == 429:
        return "http_429"
    if http_status is not None and 400 <= http_status < 500:
        return "http_4xx"
    if http_status is not None and http_status >= 500:
        return "http_5xx"
    text = message.lower()
    for kind, needles in (
        ("robots", ("robots.txt",)),
        ("timeout", ("timed out", "timeout")),
        ("dns", ("dns",)),
        ("refused", ("connection refused",)),
        ("too_large", ("size limit", "too large")),
        ("redirects", ("redirect",)),
        ("parse", ("feeds:", "sitemaps:", "listings:", "not a readable", "not well-formed")),
    ):
        if any(needle in text for needle in needles):
            return kind
    return "other"


@dataclass
class _JobTally:
    runs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (job, status) → runs
    buckets: dict[str, list[int]] = field(default_factory=dict)  # job → count per bucket (+Inf)
    sums: dict[str, float] = field(default_factory=dict)

    def add(self, job: str, status: str, seconds: float) -> None:
        self.runs[(job, status)] += 1
        counts = self.buckets.setdefault(job, [0] * (len(JOB_BUCKETS) + 1))
        for i, bound in enumerate(JOB_BUCKETS):
            if seconds <= bound:
                counts[i] += 1
        counts[-1] += 1
        self.sums[job] = self.sums.get(job, 0.0) + seconds


class ArchiveCollector(Collector):
    """Reads the archive on every scrape (see the module's table of metrics)."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._jobs_after = 0
        self._jobs = _JobTally()
        self._fetches_after = 0
        self._failures: Counter[str] = Counter()

    def collect(self) -> Iterator[Metric]:
        with self._lock:  # the incremental tallies are read and advanced by one scrape at a time
            try:
                metrics = self._read()
            except SQLAlchemyError as exc:
                log.warning("Metrics: the archive does not answer: %s", exc)
                metrics = []
                up = 0.0
            else:
                up = 1.0
        yield GaugeMetricFamily(
            "monitor_archive_up", "1 when the archive answered this scrape", value=up
        )
        yield from metrics

    def _read(self) -> list[Metric]:
        now = self.clock()
        with self.db.session() as session:
            totals = crawl_totals(session)
            states = source_states(session)
            deliveries = delivery_counts(session)
            digests = digest_counts(session)
            beat = daemon_heartbeat(session)
            jobs, self._jobs_after = finished_jobs(session, self._jobs_after, now)
            failures, self._fetches_after = failed_fetches(session, self._fetches_after)
        for job in jobs:
            self._jobs.add(job.job, job.status, job.duration_s)
        self._failures.update(fetch_failure_kind(f.http_status, f.message) for f in failures)

        out: list[Metric] = []
        runs = CounterMetricFamily(
            "monitor_crawl_runs", "Crawl runs by how they ended", labels=["status"]
        )
        for status, n in sorted(totals.runs_by_status.items()):
            runs.add_metric([status], n)
        out.append(runs)
        for name, value, help_text in (
            ("monitor_items_new", totals.new_items, "Items stored by crawls"),
            ("monitor_items_relevant", totals.relevant_items, "New items judged relevant"),
            ("monitor_items_revised", totals.revised_items, "Known items whose text changed"),
            ("monitor_items_folded", totals.copies_folded, "Copies folded into a story"),
        ):
            out.append(CounterMetricFamily(name, help_text, value=value))
        fetch = CounterMetricFamily(
            "monitor_source_fetch_failures",
            "Sources whose fetch failed in a crawl run, by kind of failure",
            labels=["kind"],
        )
        for kind in FETCH_FAILURE_KINDS:
            fetch.add_metric([kind], self._failures[kind])
        out.append(fetch)
        out += self._source_metrics(states, now)
        delivered = CounterMetricFamily(
            "monitor_digest_deliveries", "SMTP delivery attempts by outcome", labels=["outcome"]
        )
        for outcome, n in sorted(deliveries.items()):
            delivered.add_metric([outcome], n)
        out.append(delivered)
        by_status = GaugeMetricFamily("monitor_digests", "Digests by status", labels=["status"])
        for status, n in sorted(digests.items()):
            by_status.add_metric([status], n)
        out.append(by_status)
        out += self._job_metrics()
        fresh = beat is not None and heartbeat_age_s(beat, now) <= stale_after_s(beat)
        out.append(
            GaugeMetricFamily(
                "monitor_scheduler_up",
                "1 while a scheduler (monitor run) heartbeat is fresh",
                value=1.0 if fresh else 0.0,
            )
        )
        if beat is not None:
            out.append(
                GaugeMetricFamily(
                    "monitor_scheduler_heartbeat_age_seconds",
                    "Seconds since the scheduler's last heartbeat",
                    value=heartbeat_age_s(beat, now),
                )
            )
        return out

    def _source_metrics(self, states: list[SourceState], now: datetime) -> list[Metric]:
        counts = Counter[str]()
        failures = GaugeMetricFamily(
            "monitor_source_consecutive_failures",
            "Failed fetches in a row, per enabled source",
            labels=["source"],
        )
        backoff = GaugeMetricFamily(
            "monitor_source_backoff_seconds",
            "Seconds until a failing source is tried again (0: not backing off)",
            labels=["source"],
        )
        for s in states:
            if not s.enabled:
                counts["disabled"] += 1
                continue
            waiting = 0.0
            if s.consecutive_failures > 0:
                counts["failing"] += 1
                if s.next_due_at is not None and s.next_due_at > now:
                    counts["backing_off"] += 1
                    waiting = (s.next_due_at - now).total_seconds()
            elif s.last_attempt_at is None:
                counts["never_fetched"] += 1
            else:
                counts["ok"] += 1
            failures.add_metric([s.name], s.consecutive_failures)
            backoff.add_metric([s.name], waiting)
        by_state = GaugeMetricFamily("monitor_sources", "Sources by state", labels=["state"])
        for state in ("ok", "failing", "backing_off", "never_fetched", "disabled"):
            by_state.add_metric([state], counts[state])
        return [by_state, failures, backoff]

    def _job_metrics(self) -> list[Metric]:
        runs = CounterMetricFamily(
            "monitor_job_runs", "Scheduled job runs by job and result", labels=["job", "status"]
        )
        for (job, status), n in sorted(self._jobs.runs.items()):
            runs.add_metric([job, status], n)
        durations = HistogramMetricFamily(
            "monitor_job_duration_seconds", "How long scheduled jobs ran", labels=["job"]
        )
        for job, counts in sorted(self._jobs.buckets.items()):
            bounds = [*(str(float(b)) for b in JOB_BUCKETS), "+Inf"]
            durations.add_metric(
                [job], list(zip(bounds, counts, strict=True)), sum_value=self._jobs.sums[job]
            )
        return [runs, durations]
