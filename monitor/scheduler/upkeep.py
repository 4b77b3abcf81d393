"""Upkeep: retention, database optimisation and full-text index maintenance (``monitor upkeep``).

In order:

1. **Retention** – when ``retention.irrelevant_days`` is set, irrelevant items first seen longer ago
   are deleted in batches of one transaction each (items in a story or a digest are kept), and
   finished ``job_runs`` rows older than :data:`JOB_RUN_DAYS` are pruned.
2. **Full-text index** – SQLite: FTS5 ``optimize`` on ``items_fts`` (merges its b-trees) when the
   table exists. PostgreSQL's GIN index needs nothing here.
3. **Optimise** – SQLite: ``PRAGMA optimize``; space is given back with ``PRAGMA
   incremental_vacuum`` when the file uses incremental auto-vacuum, otherwise with ``VACUUM`` when
   more than :data:`VACUUM_FREE_RATIO` of the pages are free and no crawl is running (VACUUM
   needs the file to itself); the WAL is checkpointed last. PostgreSQL: ``ANALYZE`` (autovacuum
   does the rest).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.config import AppConfig
from monitor.db import crawl_guard
from monitor.db import jobs as q
from monitor.db.engine import Database

log = logging.getLogger(__name__)

JOB_RUN_DAYS = 90
VACUUM_FREE_RATIO = 0.2


@dataclass
class UpkeepReport:
    deleted_items: int = 0
    pruned_job_runs: int = 0
    fts_optimized: bool = False
    analyzed: bool = False
    vacuum: str = "none"  # none | incremental | full | skipped_busy
    free_pages_before: int | None = None
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


CRAWL_STALE_S = 6 * 3600  # a crawl row without a process start time counts this long at most


def _crawl_busy(db: Database) -> bool:
    """A crawl is at work (its pid and process start time checked, see ``crawl_guard``)."""
    with db.session() as session:
        return bool(
            crawl_guard.live_runs(session, now=datetime.now(UTC), stale_after_s=CRAWL_STALE_S)
        )


def apply_retention(config: AppConfig, db: Database, now: datetime, report: UpkeepReport) -> None:
    days = config.settings.retention.irrelevant_days
    if days is not None:
        before = q.oldest_allowed(now, days)
        while True:
            with db.session() as session:
                n = q.delete_irrelevant_items(session, before)
            report.deleted_items += n
            if n < 500:
                break
    with db.session() as session:
        report.pruned_job_runs = q.prune_job_runs(session, now - timedelta(days=JOB_RUN_DAYS))


def optimise_sqlite(db: Database, report: UpkeepReport) -> None:
    with db.engine.connect() as conn:
        if q.has_table(conn, "items_fts"):
            q.sqlite_fts_optimize(conn)
            report.fts_optimized = True
        q.sqlite_pragma(conn, "optimize")
        conn.commit()
        free = int(q.sqlite_pragma(conn, "freelist_count") or 0)
        pages = int(q.sqlite_pragma(conn, "page_count") or 0)
        report.free_pages_before = free
        auto_vacuum = int(q.sqlite_pragma(conn, "auto_vacuum") or 0)
        if auto_vacuum == 2:
            q.sqlite_pragma(conn, "incremental_vacuum")
            conn.commit()
            report.vacuum = "incremental"
        elif pages and free / pages > VACUUM_FREE_RATIO:
            if _crawl_busy(db):
                report.vacuum = "skipped_busy"
                report.notes.append("VACUUM postponed: a crawl is running")
            else:
                conn.commit()
                q.sqlite_vacuum(conn.execution_options(isolation_level="AUTOCOMMIT"))
                report.vacuum = "full"
        q.sqlite_pragma(conn, "wal_checkpoint(TRUNCATE)")
        conn.commit()


def optimise_postgres(db: Database, report: UpkeepReport) -> None:
    with db.engine.connect() as conn:
        q.postgres_analyze(conn.execution_options(isolation_level="AUTOCOMMIT"))
    report.analyzed = True


def run_upkeep(config: AppConfig, db: Database, now: datetime) -> UpkeepReport:
    """Run every upkeep step once; safe to run while crawls and digests run."""
    started = time.monotonic()
    report = UpkeepReport()
    apply_retention(config, db, now, report)
    if db.dialect == "sqlite":
        optimise_sqlite(db, report)
    elif db.dialect == "postgresql":
        optimise_postgres(db, report)
    report.duration_s = round(time.monotonic() - started, 3)
    log.info(
        "Upkeep done deleted_items=%d pruned_job_runs=%d fts_optimized=%s vacuum=%s",
        report.deleted_items,
        report.pruned_job_runs,
        report.fts_optimized,
        report.vacuum,
    )
    return report
