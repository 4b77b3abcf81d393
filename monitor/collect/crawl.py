"""``run_crawl``: one crawl run, read top to bottom like the data flow.

1. pick the sources (named ones, or every enabled one; ``due_only``: poll interval and back-off
   elapsed, no ``Retry-After`` pending);
2. record a ``crawl_runs`` row (status ``running``), unless another crawl of this archive is
   running (:mod:`monitor.db.crawl_guard`; runs left ``running`` by a dead process are closed);
3. fetch → parse → known? → extract → store + judge + fold: the ``engine`` crawls the sources
   and drives the run's :class:`~monitor.collect.collector.Collector` (``monitor crawl`` passes
   :func:`spiders.process.crawl_sources`, one Scrapy crawl in this process); items are stored in
   small all-or-nothing batches; each source's outcome and fetch state are written as soon as
   that source is done (a source never reached is recorded as ``skipped``);
4. close the run row with totals, stage counts and the time split.

The Scrapy engine runs Twisted's reactor, once per process: a second crawl in the same process
raises :class:`CrawlError`; callers that crawl repeatedly spawn ``python -m monitor crawl``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from monitor.collect.collector import Collector
from monitor.collect.progress import Progress
from monitor.collect.records import SourceJob
from monitor.config import AppConfig, CrawlSettings
from monitor.db.crawl_guard import claim_crawl_run
from monitor.db.engine import Database
from monitor.db.keys import OPTION as OUTLETS_OPTION
from monitor.db.keys import outlet_key_warning
from monitor.db.models import FetchState, Source
from monitor.db.read.sources import run_outcomes
from monitor.db.runs import finish_run, select_sources
from monitor.errors import MonitorError
from monitor.pipeline import ItemStage, start_run
from monitor.records import SourceOutcome

log = logging.getLogger(__name__)


class CrawlError(MonitorError):
    """The crawl could not run at all (unknown source name, reactor already used)."""


class CrawlRunning(CrawlError):
    """Another crawl of the same archive is under way."""


STALE_MARGIN_S = 600
# totals of the summary that the crawl_runs row has no column for (its sources' rows tell them)
SUMMARY_ONLY = frozenset(
    {"sources_skipped", "sources_partial", "attached_items"}
)  # a run on another host counts as live this long past the time limit


class CrawlEngine(Protocol):
    """Fetches the sources of ``jobs`` and drives ``collector`` until every source is done."""

    def __call__(
        self,
        collector: Collector,
        jobs: Sequence[SourceJob],
        crawl: CrawlSettings,
        *,
        fulltext: bool,
    ) -> None: ...


@dataclass(frozen=True)
class CrawlSummary:
    run_id: int
    status: str  # ok | partial | failed | empty
    sources_total: int
    sources_ok: int
    sources_failed: int
    fetched: int
    new_items: int
    known_items: int
    revised_items: int
    relevant_items: int
    copies_folded: int
    errors: int
    duration_s: float
    timings: dict[str, float] = field(default_factory=dict)
    sources: list[SourceOutcome] = field(default_factory=list)
    sources_skipped: int = 0  # not reached: the crawl was stopped early
    sources_partial: int = 0  # reached, but article pages failed or entries were not stored
    attached_items: int = 0  # article texts attached to items stored with their feed text

    @property
    def all_failed(self) -> bool:
        return self.sources_total > 0 and self.sources_failed == self.sources_total

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_job(src: Source, state: FetchState | None, crawl: CrawlSettings) -> SourceJob:
    if src.fetch_fulltext is True:
        fulltext = "always"
    elif src.fetch_fulltext is False or not crawl.fetch_fulltext:
        fulltext = "never"
    else:
        fulltext = "short"
    selectors = src.selectors or {}
    since = None
    if state is not None:
        since = state.last_item_at or state.last_success_at
    return SourceJob(
        source_id=src.id,
        name=src.name,
        url=src.url,
        kind=src.kind,
        language=src.language,
        fulltext=fulltext,  # type: ignore[arg-type]
        selectors_css=selectors.get("article_links_css"),
        selectors_xpath=selectors.get("article_links_xpath"),
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
        since=since,
        poll_interval_minutes=src.poll_interval_minutes,
        timezone=src.timezone,
    )


def _run_status(totals: dict[str, Any]) -> str:
    if totals["sources_total"] == 0:
        return "empty"
    if totals["sources_failed"] == totals["sources_total"]:
        return "failed"
    if totals["sources_failed"] or totals["sources_skipped"] or totals["sources_partial"]:
        return "partial"
    return "ok"


def run_crawl(
    config: AppConfig,
    db: Database,
    *,
    engine: CrawlEngine,
    source_names: Sequence[str] | None = None,
    source_ids: Sequence[int] | None = None,
    due_only: bool = False,
    fulltext: bool = True,
    trigger: str = "cli",
    progress: Progress | None = None,
    stages: Sequence[ItemStage] | None = None,
    exclusive: bool = True,
) -> CrawlSummary:
    """Crawl the chosen sources once, in this process (see the module docstring).
    ``source_ids``: the enabled ones among these sources; ``exclusive=False``: a worker's crawl,
    which runs beside other workers' (:func:`~monitor.db.crawl_guard.claim_crawl_run`)."""
    crawl = config.settings.crawl
    now = datetime.now(UTC)
    started = time.perf_counter()
    with db.session() as session:
        rows = select_sources(
            session, names=source_names, ids=source_ids, due_only=due_only, now=now
        )
        if source_names:
            missing = sorted(set(source_names) - {src.name for src, _ in rows})
            if missing and not due_only:
                raise CrawlError(
                    f"crawl: no source named {', '.join(map(repr, missing))} (see `monitor sources list`)"
                )
        jobs = [make_job(src, state, crawl) for src, state in rows]
        options = {
            "sources": list(source_names or ())
            or ([src.name for src, _ in rows] if source_ids is not None else []),
            "due_only": due_only,
            "fulltext": fulltext,
            OUTLETS_OPTION: config.outlets.fingerprint,
        }
        warning = outlet_key_warning(session, config.outlets, str(config.outlets_path))
    if warning:
        log.warning("%s", warning.removeprefix("warning: "))
    with db.session() as session:  # its own transaction: the claim locks first
        claim = claim_crawl_run(
            session,
            trigger=trigger,
            options=options,
            sources_total=len(jobs),
            now=now,
            stale_after_s=crawl.run_time_limit_s + STALE_MARGIN_S,
            exclusive=exclusive,
        )
    for closed in claim.closed:
        log.warning("Closed crawl run left running by a dead process run=%d", closed)
    if claim.run is None:
        raise CrawlRunning(
            f"crawl: another crawl of this archive is running: {claim.blocker()}; "
            "wait for it to finish (see `monitor status`)"
        )
    run_id = claim.run.id
    if stages is None:
        from monitor.collect.stages import default_stages

        stages = default_stages(config, db)
    start_run(stages)
    collector = Collector(
        db, crawl, jobs, run_id=run_id, stages=stages, progress=progress, outlets=config.outlets
    )
    message = ""
    status = "empty"
    try:
        if jobs:
            engine(collector, jobs, crawl, fulltext=fulltext)
    except CrawlError:
        raise
    except BaseException as exc:
        message = f"crawl aborted: {type(exc).__name__}: {exc}"
        status = "aborted"
        raise
    finally:
        collector.finish()
        totals = collector.totals()
        if status != "aborted":
            status = _run_status(totals)
        timings = collector.timings.rounded()
        duration = time.perf_counter() - started
        timings["total"] = round(duration, 3)
        with db.session() as session:
            finish_run(
                session,
                run_id,
                finished_at=datetime.now(UTC),
                status=status,
                stats={
                    "timings": timings,
                    "stages": dict(collector.writer.ctx.stats),
                    "attached_items": totals["attached_items"],
                },
                message=message,
                **{k: v for k, v in totals.items() if k not in SUMMARY_ONLY},
            )
    with db.session() as session:
        results = run_outcomes(session, run_id)
    return CrawlSummary(
        run_id=run_id,
        status=status,
        duration_s=round(duration, 3),
        timings=timings,
        sources=results,
        **totals,
    )
