"""Publication dates: parse, convert to UTC, and judge plausibility. Never invent a date.

A date more than :data:`FUTURE_TOLERANCE` ahead of the clock is ``future``; one before
:data:`EARLIEST` is ``implausible``; text that cannot be read is ``unparseable``; nothing given is
``missing``. In all those cases the date returned is ``None`` and the quality says why.
Naive dates (no offset) are taken as UTC.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from dateutil import parser as date_parser

from monitor.collect.records import DateQuality

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)


def _to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def judge_date(
    value: datetime | date | time.struct_time | str | None, *, now: datetime | None = None
) -> tuple[datetime | None, DateQuality]:
    """``(utc_datetime_or_None, quality)`` for a date from a feed, sitemap or page."""
    if value is None or value == "":
        return None, "missing"
    try:
        if isinstance(value, time.struct_time):
            parsed = datetime(*value[:6], tzinfo=UTC)  # feedparser's *_parsed are UTC
        elif isinstance(value, datetime):
            parsed = _to_utc(value)
        elif isinstance(value, date):
            parsed = datetime(value.year, value.month, value.day, tzinfo=UTC)
        else:
            text = value.strip().replace("\x00", "")
            if not text:
                return None, "missing"
            parsed = _to_utc(date_parser.parse(text))
    except (ValueError, OverflowError, TypeError, date_parser.ParserError):
        return None, "unparseable"
    now = now or datetime.now(UTC)
    if parsed < EARLIEST:
        return None, "implausible"
    if parsed > now + FUTURE_TOLERANCE:
        return None, "future"
    return parsed, "ok"
