"""When a source is polled next: poll interval, exponential back-off, ``Retry-After``.

- success (including 304 Not Modified): next due = now + the source's poll interval;
- failure number *n* in a row: next due = now + min(base × 2^(n−1), max) — a source is never
  parked for good, it is retried at the latest after ``backoff_max_hours``;
- a 429/503 with ``Retry-After`` (seconds or an HTTP date): not before that time (capped at
  a day, like the back-off: a larger value is a mistake or a trap, not a plan), whichever of this
  and the back-off is later.
"""

from __future__ import annotations

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
