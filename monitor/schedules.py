"""Schedule syntax and due times: recipients' ``schedule`` and ``schedule.upkeep_cron``.

The configuration validates schedules with :func:`parse_schedule` / :func:`parse_crontab`; the
scheduler turns them into APScheduler triggers and due times (:func:`next_due`, :func:`previous_due`).

A recipient's ``schedule`` is one of::

    daily HH:MM                 every day at HH:MM
    weekly DAY HH:MM            DAY is mon, tue, wed, thu, fri, sat or sun (full names work too)
    cron: m h dom mon dow       a standard five-field crontab line

Times are wall-clock times in the recipient's ``timezone``. In the ``cron:`` form the day of week
follows crontab (0 or 7 = Sunday, 1 = Monday), not APScheduler 3's Monday-based numbering: numbers
are translated to day names before they reach APScheduler.

:func:`previous_due` gives the most recent due time at or before *now*; the daemon compares it with
the stored state to decide whether a run is owed (see :mod:`monitor.scheduler.daemon`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbering: index = number
_FULL_DAYS = {
    "sunday": "sun",
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
}
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# look-back windows for previous_due: short first so frequent schedules stay cheap
_WINDOWS = (
    timedelta(hours=2),
    timedelta(days=2),
    timedelta(days=9),
    timedelta(days=40),
    timedelta(days=370),
    timedelta(days=5 * 366),
)


class ScheduleSyntaxError(ValueError):
    """The schedule text is not one of the accepted forms; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule as crontab fields (APScheduler's names; day_of_week uses day names)."""

    text: str
    minute: str
    hour: str
    day: str = "*"
    month: str = "*"
    day_of_week: str = "*"

    def trigger(self, timezone: str) -> CronTrigger:
        # imported here: loading the configuration without a schedule does not pay for APScheduler
        from apscheduler.triggers.cron import CronTrigger

        return CronTrigger(
            minute=self.minute,
            hour=self.hour,
            day=self.day,
            month=self.month,
            day_of_week=self.day_of_week,
            timezone=ZoneInfo(timezone),
        )


def _hhmm(text: str, whole: str) -> tuple[str, str]:
    m = _HHMM.match(text)
    if not m:
        raise ScheduleSyntaxError(f"time {text!r} in {whole!r} must be HH:MM (00:00 to 23:59)")
    return str(int(m.group(2))), str(int(m.group(1)))


def _day_number(token: str, whole: str) -> int:
    low = token.lower()
    low = _FULL_DAYS.get(low, low)
    if low in DAYS:
        return DAYS.index(low)
    if low.isdigit() and 0 <= int(low) <= 7:
        return int(low) % 7
    raise ScheduleSyntaxError(f"day of week {token!r} in {whole!r} must be 0-7 or mon..sun")


def _crontab_days(field: str, whole: str) -> str:
    """Translate a crontab day-of-week field into APScheduler day names."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ScheduleSyntaxError(
                    f"step {step_text!r} in {whole!r} must be a positive number"
                )
            step = int(step_text)
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            lo, _, hi = base.partition("-")
            first, last = _day_number(lo, whole), _day_number(hi, whole)
            if hi.strip() in ("7", "sun", "sunday") and first > 0:
                last = 7  # "5-7" = fri..sun
            if last < first:
                raise ScheduleSyntaxError(f"day range {base!r} in {whole!r} runs backwards")
        else:
            first = _day_number(base, whole)
            last = 6 if step_text else first
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(DAYS[d] for d in sorted(days))


def parse_schedule(text: str) -> Schedule:
    """Parse ``daily HH:MM`` | ``weekly DAY HH:MM`` | ``cron: m h dom mon dow``."""
    whole = text.strip()
    low = whole.lower()
    if low.startswith("cron:"):
        fields = low.removeprefix("cron:").split()
        if len(fields) != 5:
            raise ScheduleSyntaxError(
                f"{whole!r} needs five crontab fields after 'cron:' (minute hour day month weekday),"
                f" got {len(fields)}"
            )
        sched = Schedule(
            text=whole,
            minute=fields[0],
            hour=fields[1],
            day=fields[2],
            month=fields[3],
            day_of_week=_crontab_days(fields[4], whole),
        )
    else:
        words = low.split()
        if len(words) == 2 and words[0] == "daily":
            minute, hour = _hhmm(words[1], whole)
            sched = Schedule(text=whole, minute=minute, hour=hour)
        elif len(words) == 3 and words[0] == "weekly":
            minute, hour = _hhmm(words[2], whole)
            day = DAYS[_day_number(words[1], whole)]
            if words[1].isdigit():
                raise ScheduleSyntaxError(
                    f"day {words[1]!r} in {whole!r} must be a name (mon..sun)"
                )
            sched = Schedule(text=whole, minute=minute, hour=hour, day_of_week=day)
        else:
            raise ScheduleSyntaxError(
                f"{whole!r} is not a schedule: use 'daily HH:MM', 'weekly mon HH:MM' or"
                " 'cron: m h dom mon dow'"
            )
    try:
        sched.trigger("UTC")
    except ValueError as exc:
        raise ScheduleSyntaxError(f"{whole!r}: {exc}") from None
    return sched


def parse_crontab(line: str) -> Schedule:
    """A bare five-field crontab line (``schedule.upkeep_cron``)."""
    try:
        return parse_schedule(f"cron: {line}")
    except ScheduleSyntaxError as exc:
        msg = str(exc).replace(f"'cron: {line.strip()}'", repr(line.strip()))
        raise ScheduleSyntaxError(msg.replace(" after 'cron:'", "")) from None


def next_due(schedule: Schedule, timezone: str, now: datetime) -> datetime | None:
    """The first due time strictly after ``now`` (aware UTC), or None when there is none."""
    trigger = schedule.trigger(timezone)
    nxt = trigger.get_next_fire_time(None, now + timedelta(seconds=1))
    return nxt.astimezone(UTC) if nxt else None


def previous_due(schedule: Schedule, timezone: str, now: datetime) -> datetime | None:
    """The most recent due time at or before ``now`` (aware UTC), or None within five years."""
    if now.tzinfo is None:
        raise ValueError("previous_due needs an aware datetime")
    now = now.replace(microsecond=0)
    trigger = schedule.trigger(timezone)
    for window in _WINDOWS:
        found: datetime | None = None
        t = trigger.get_next_fire_time(None, now - window)
        while t is not None and t <= now:
            found = t
            t = trigger.get_next_fire_time(t, t + timedelta(seconds=1))
        if found is not None:
            return found.astimezone(UTC)
    return None
