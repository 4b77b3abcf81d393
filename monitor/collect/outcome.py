"""Writing a done source's outcome: its ``crawl_run_sources`` row and its new fetch state, in one
transaction (the fetch-state policy is :func:`monitor.collect.polling.next_fetch_state`).

A source the crawl never reached keeps its fetch state as it was: its due time, no failure
counted, no back-off.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.collect.polling import FetchStateValues, next_fetch_state
from monitor.collect.tally import SourceTally
from monitor.config import CrawlSettings
from monitor.db.engine import Database
from monitor.db.models import FetchState
from monitor.db.runs import record_run_source
from monitor.records import SourceOutcome


def record_source_outcome(
    db: Database, run_id: int, tally: SourceTally, crawl: CrawlSettings, *, now: datetime
) -> None:
    """Write the run row and (unless the source was skipped) the fetch state of a done source."""
    job = tally.job
    with db.session() as session:
        if not tally.skipped:
            update_fetch_state(session, tally, crawl, now=now)
        record_run_source(
            session,
            run_id,
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


def update_fetch_state(
    session: Session, tally: SourceTally, crawl: CrawlSettings, *, now: datetime
) -> None:
    source_id = tally.job.source_id
    row = session.get(FetchState, source_id)
    if row is None:  # first fetch: the row is written once, with its values (one INSERT)
        row = FetchState(source_id=source_id, consecutive_failures=0)
        session.add(row)
    after = next_fetch_state(
        _values_of(row),
        tally.fetch_outcome(),
        now=now,
        poll_interval_minutes=tally.job.poll_interval_minutes,
        backoff_base_minutes=crawl.backoff_base_minutes,
        backoff_max_hours=crawl.backoff_max_hours,
    )
    for name, value in asdict(after).items():
        setattr(row, name, value)


def _values_of(row: FetchState) -> FetchStateValues:
    return FetchStateValues(
        etag=row.etag,
        last_modified=row.last_modified,
        last_attempt_at=row.last_attempt_at,
        last_success_at=row.last_success_at,
        last_status=row.last_status,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        consecutive_failures=row.consecutive_failures or 0,
        next_due_at=row.next_due_at,
        retry_after_until=row.retry_after_until,
        last_item_at=row.last_item_at,
    )
