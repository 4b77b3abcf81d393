"""When and how a source is polled next: its fetch state after a crawl (pure functions).

When:

- success (including 304 Not Modified): next due = now + the source's poll interval;
- failure number *n* in a row: next due = now + min(base × 2^(n−1), max) — a source is never
  parked for good, it is retried at the latest after ``backoff_max_hours``;
- a 429/503 with ``Retry-After`` (seconds or an HTTP date): not before that time (capped at
  a day, like the back-off: a larger value is a mistake or a trap, not a plan), whichever of this
  and the back-off is later.

How (:func:`next_fetch_state`, the whole fetch-state policy): a success resets the failure count
and the ``Retry-After`` wait, stores the validators the server sent for conditional GET (a 304
keeps the old ones; a 200 without validators clears them) and moves ``last_item_at`` forward,
never back; a failure counts one more failure and records the error, keeping the validators and
the last error-free times. ``last_error`` stays after a success, with its time, for the record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER = timedelta(hours=24)


def next_due_after_success(now: datetime, poll_interval_minutes: int) -> datetime:
    return now + timedelta(minutes=poll_interval_minutes)


def backoff_delay(failures: int, *, base_minutes: int, max_hours: int) -> timedelta:
    exponent = max(0, min(failures - 1, 20))
    delay: timedelta = timedelta(minutes=base_minutes) * (2**exponent)
    return min(delay, timedelta(hours=max_hours))


def next_due_after_failure(
    now: datetime,
    failures: int,
    *,
    base_minutes: int,
    max_hours: int,
    retry_after_until: datetime | None = None,
) -> datetime:
    due = now + backoff_delay(failures, base_minutes=base_minutes, max_hours=max_hours)
    if retry_after_until is not None and retry_after_until > due:
        due = retry_after_until
    return due


def parse_retry_after(value: str | bytes | None, *, now: datetime) -> datetime | None:
    """The time a ``Retry-After`` header asks us to wait for, or None when absent/unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        delay = timedelta(seconds=int(text[:9]))
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delay = when.astimezone(UTC) - now
    delay = max(timedelta(0), min(delay, MAX_RETRY_AFTER))
    return now + delay


@dataclass(frozen=True, slots=True)
class FetchStateValues:
    """A source's fetch state (the ``fetch_state`` row's columns, without the source id)."""

    etag: str | None = None
    last_modified: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    next_due_at: datetime | None = None
    retry_after_until: datetime | None = None
    last_item_at: datetime | None = None  # newest entry date seen (sitemaps read only newer ones)


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """How a source's main document fared in one run."""

    http_status: int | None
    failure: str | None  # the error when the main document failed, else None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    retry_after_until: datetime | None = None
    newest_item: datetime | None = None


def next_fetch_state(
    state: FetchStateValues,
    outcome: FetchOutcome,
    *,
    now: datetime,
    poll_interval_minutes: int,
    backoff_base_minutes: int,
    backoff_max_hours: int,
) -> FetchStateValues:
    """The source's fetch state after a run with ``outcome`` (see the module docstring)."""
    attempted = replace(state, last_attempt_at=now, last_status=outcome.http_status)
    if outcome.failure is not None:
        failures = state.consecutive_failures + 1
        return replace(
            attempted,
            consecutive_failures=failures,
            last_error=outcome.failure,
            last_error_at=now,
            retry_after_until=outcome.retry_after_until,
            next_due_at=next_due_after_failure(
                now,
                failures,
                base_minutes=backoff_base_minutes,
                max_hours=backoff_max_hours,
                retry_after_until=outcome.retry_after_until,
            ),
        )
    newest = state.last_item_at
    if outcome.newest_item is not None and (newest is None or outcome.newest_item > newest):
        newest = outcome.newest_item
    succeeded = replace(
        attempted,
        last_success_at=now,
        consecutive_failures=0,
        next_due_at=next_due_after_success(now, poll_interval_minutes),
        retry_after_until=None,
        last_item_at=newest,
    )
    if outcome.not_modified:
        return succeeded
    return replace(succeeded, etag=outcome.etag, last_modified=outcome.last_modified)
