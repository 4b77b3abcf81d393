from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.schedules import (
    ScheduleSyntaxError,
    next_due,
    parse_crontab,
    parse_schedule,
    previous_due,
)


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        pytest.param("daily 07:00", ("0", "7", "*", "*", "*"), id="daily"),
        pytest.param("Daily 7:05", ("5", "7", "*", "*", "*"), id="daily one-digit hour"),
        pytest.param("weekly mon 18:30", ("30", "18", "*", "*", "mon"), id="weekly"),
        pytest.param("weekly Sunday 06:00", ("0", "6", "*", "*", "sun"), id="weekly full name"),
        pytest.param(
            "cron: 0 7 * * 1-5", ("0", "7", "*", "*", "mon,tue,wed,thu,fri"), id="cron weekdays"
        ),
        pytest.param("cron: 0 7 * * 0", ("0", "7", "*", "*", "sun"), id="cron 0 is sunday"),
        pytest.param("cron: 0 7 * * 7", ("0", "7", "*", "*", "sun"), id="cron 7 is sunday"),
        pytest.param("cron: 0 7 * * 5-7", ("0", "7", "*", "*", "sun,fri,sat"), id="cron fri-sun"),
        pytest.param("cron: 0 7 * * */2", ("0", "7", "*", "*", "sun,tue,thu,sat"), id="cron step"),
        pytest.param("cron: */15 * 1 1 *", ("*/15", "*", "1", "1", "*"), id="cron other fields"),
    ],
)
def test_parse_schedule(text: str, fields: tuple[str, ...]) -> None:
    s = parse_schedule(text)
    assert (s.minute, s.hour, s.day, s.month, s.day_of_week) == fields


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("dayly 07:00", "is not a schedule", id="typo"),
        pytest.param("daily 24:00", "must be HH:MM", id="hour out of range"),
        pytest.param("daily 7", "must be HH:MM", id="no minutes"),
        pytest.param("weekly xyz 07:00", "must be 0-7 or mon..sun", id="bad day"),
        pytest.param("weekly 1 07:00", "must be a name", id="weekly with number"),
        pytest.param("cron: 0 7 * *", "five crontab fields", id="four fields"),
        pytest.param("cron: 61 7 * * *", "61", id="minute out of range"),
        pytest.param("cron: 0 7 * * 8", "0-7 or mon..sun", id="weekday out of range"),
        pytest.param("", "is not a schedule", id="empty"),
    ],
)
def test_parse_schedule_rejects(text: str, reason: str) -> None:
    with pytest.raises(ScheduleSyntaxError, match=reason):
        parse_schedule(text)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("schedule", "tz", "now", "prev", "nxt"),
    [
        pytest.param(
            "daily 07:00", "UTC", "2025-03-10T08:00:00+00:00",
            "2025-03-10T07:00:00+00:00", "2025-03-11T07:00:00+00:00", id="daily after",
        ),
        pytest.param(
            "daily 07:00", "UTC", "2025-03-10T07:00:00+00:00",
            "2025-03-10T07:00:00+00:00", "2025-03-11T07:00:00+00:00", id="exactly at due",
        ),
        pytest.param(
            "daily 07:00", "Asia/Tehran", "2025-03-10T05:00:00+00:00",
            "2025-03-10T03:30:00+00:00", "2025-03-11T03:30:00+00:00", id="tehran",
        ),
        pytest.param(
            "daily 07:00", "Europe/Berlin", "2025-03-31T12:00:00+00:00",
            "2025-03-31T05:00:00+00:00", "2025-04-01T05:00:00+00:00", id="berlin after DST",
        ),
        pytest.param(
            "weekly mon 09:00", "Europe/Moscow", "2025-03-12T00:00:00+00:00",
            "2025-03-10T06:00:00+00:00", "2025-03-17T06:00:00+00:00", id="weekly moscow",
        ),
        pytest.param(
            "cron: 0 0 1 1 *", "UTC", "2025-06-01T00:00:00+00:00",
            "2025-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", id="yearly",
        ),
        pytest.param(
            "cron: */10 * * * *", "UTC", "2025-06-01T10:27:13+00:00",
            "2025-06-01T10:20:00+00:00", "2025-06-01T10:30:00+00:00", id="every ten minutes",
        ),
    ],
)  # fmt: skip
def test_due_times(schedule: str, tz: str, now: str, prev: str, nxt: str) -> None:
    s = parse_schedule(schedule)
    assert previous_due(s, tz, at(now)) == at(prev)
    assert next_due(s, tz, at(now)) == at(nxt)


def test_previous_due_needs_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        previous_due(parse_schedule("daily 07:00"), "UTC", datetime(2025, 1, 1))


def test_parse_crontab_names_the_line() -> None:
    assert parse_crontab("30 3 * * *").hour == "3"
    with pytest.raises(ScheduleSyntaxError, match="'30 3 \\* \\*'"):
        parse_crontab("30 3 * *")


def test_config_check_rejects_bad_schedule_with_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "monitor.yaml").write_text(
        "recipients:\n"
        "  - {name: ok, address: ok@example.org, schedule: 'weekly fri 16:00'}\n"
        "  - {name: bad, address: bad@example.org, schedule: 'every day'}\n"
        "schedule: {upkeep_cron: '0 25 * * *'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, env={})
    problems = {p.key: p for p in info.value.problems}
    assert set(problems) == {"recipients.1.schedule", "schedule.upkeep_cron"}
    assert problems["recipients.1.schedule"].file == str(tmp_path / "monitor.yaml")
    assert "'every day' is not a schedule" in problems["recipients.1.schedule"].message
    assert "25" in problems["schedule.upkeep_cron"].message
