"""Publication dates: read, convert to UTC, and judge plausibility. Never invent a date.

A text is read by the first of these that applies:

1. ISO 8601 / W3C (``2025-12-03T14:30:00+03:00``, ``2025-12-03``) and
2. RFC 822 / 2822 with English names (``Wed, 03 Dec 2025 14:30:00 +0300``, ``… GMT``, ``… MSK``):
   read strictly. A text of that shape whose parts are impossible (month 13, hour 25, offset
   ``+25:00``, a signed year such as ``-0001``) is ``unparseable``; it is never rolled over.
3. Numeric dates (``03.12.2025 14:30``, ``12/03/2025``): day first for Russian and Persian sources
   and whenever the parts are separated by dots; month first for slashes in English sources.
4. Solar Hijri (the Iranian calendar): a Persian month name (``۱۲ آذر ۱۴۰۴ - ۱۴:۳۰``), or for a
   Persian source a numeric date whose year is 1300–1499 (``1404/09/12``); converted with jdatetime.
5. Anything else goes to dateparser, restricted to absolute dates in the source's language and
   English (Russian and Persian month and weekday names: ``Ср, 03 дек 2025 14:30:00 +0300``,
   ``3 декабря 2025``, ``۳ دسامبر ۲۰۲۵``). Relative dates (``вчера``, ``3 дня назад``) are refused.

A text without a full calendar date (a bare ``14:30``, ``December 2025``) is ``unparseable``: the
clock never fills in a missing day. Persian and Arabic-Indic digits count as digits.

Naive times (no offset, no zone) are in the source's time zone, :class:`DateContext` (a per-source
setting; by default from the language: ru → Europe/Moscow, fa → Asia/Tehran, anything else → UTC).

feedparser's own readings (``published_parsed``) are used only when there is no text: it reads a
bare time as today and rolls impossible dates over. Standard texts never reach dateparser, and the
readings of texts are cached (a feed re-polled in one process repeats most of its dates).

Judgement: a date more than :data:`FUTURE_TOLERANCE` ahead of the clock is ``future``; one before
:data:`EARLIEST` is ``implausible``; text that cannot be read is ``unparseable``; nothing given is
``missing``. In all those cases the date is ``None``, the quality says why and
:attr:`DateReading.raw` keeps the original text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.collect.records import DateQuality

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)

# Time zone of naive times by source language; a source's own `timezone` setting wins.
DEFAULT_TIMEZONES = {"ru": "Europe/Moscow", "fa": "Asia/Tehran"}
DAY_FIRST_LANGUAGES = frozenset({"ru", "fa"})

# Zone abbreviations read without dateparser: RFC 822's own plus those of the covered regions.
# Ambiguous ones (IST, CST in Asia) are left to dateparser or refused.
ZONE_OFFSETS_MIN = {
    "Z": 0,
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "MSD": 240,
    "IRST": 210,
    "IRDT": 270,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
}

MONTHS_EN = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# Solar Hijri month names (with the Arabic letter variants folded to Persian ones first)
MONTHS_SOLAR_HIJRI = {
    "فروردین": 1,
    "اردیبهشت": 2,
    "خرداد": 3,
    "تیر": 4,
    "مرداد": 5,
    "امرداد": 5,
    "شهریور": 6,
    "مهر": 7,
    "آبان": 8,
    "آذر": 9,
    "دی": 10,
    "بهمن": 11,
    "اسفند": 12,
}
SOLAR_HIJRI_YEARS = range(1300, 1500)

_DIGITS = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩يكة\u200c\u00a0،",  # Persian and Arabic-Indic digits, Arabic letters
    "01234567890123456789یکه  ,",  # ZWNJ and no-break space become spaces, Arabic comma a comma
)
_ZONE = r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?|[A-Za-z]{2,5})"
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<frac>\d+))?)?"
_ISO = re.compile(
    r"(?P<sign>[+-])?(?P<y>\d{4,})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    rf"(?:(?:T|\s+){_TIME})?\s*{_ZONE}?",
    re.IGNORECASE,
)
_ISO_SHAPE = re.compile(r"[+-]?\d{4,}-\d{1,2}-\d")
_RFC822 = re.compile(
    r"(?:[A-Za-z]{2,9}\.?,?\s+)?(?P<d>\d{1,2})[\s-]+(?P<mon>[A-Za-z]{3,9})\.?[\s-]+(?P<y>\d{4}|\d{2})"
    rf"(?:,?\s+(?:at\s+)?{_TIME})?(?:\s*{_ZONE})?",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    r"(?P<a>\d{1,4})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})"
    rf"(?:(?:T|\s*[,-]?\s*|\s+(?:at|в|ساعت)\s+){_TIME})?(?:\s*{_ZONE})?",
    re.IGNORECASE,
)
_SOLAR_HIJRI_NAMED = re.compile(
    r"(?P<d>\d{1,2})\s*(?P<mon>"
    + "|".join(sorted(MONTHS_SOLAR_HIJRI, key=len, reverse=True))
    + r")"
    r"\s*(?:ماه\s*)?(?P<y>\d{4})"
)
# Russian month names (any case ending) in the shapes of 2. above: "Ср, 03 дек 2025 14:30:00 +0300",
# "3 декабря 2025, 14:30". Other Russian forms go to dateparser.
_RU_MONTH = re.compile(
    r"(?<![а-яё])(янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)[а-яё]*\.?", re.IGNORECASE
)
_RU_MONTH_EN = dict(
    zip(
        ("янв", "фев", "мар", "апр", "май", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"),
        ("Jan", "Feb", "Mar", "Apr", "May", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        strict=True,
    )
)
_RU_WEEKDAY = re.compile(
    r"(пн|вт|ср|чт|пт|сб|вс|[а-яё]+(?:ник|рник|реда|ерг|ница|ота|енье)),?\s+", re.I
)
_BARE_TIME = re.compile(r"\d{1,2}[:.]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?", re.IGNORECASE)
_ANY_TIME = re.compile(r"(?<!\d)" + _TIME.replace("?P<", "?P<t_") + r"(?!\d)")


@dataclass(frozen=True, slots=True)
class DateContext:
    """How to read one source's dates: its language (day order, month names) and the time zone
    in which its naive times are meant. Plain strings, so it crosses process boundaries."""

    language: str = "en"
    timezone: str = "UTC"

    @classmethod
    def for_source(cls, language: str | None, timezone: str | None = None) -> DateContext:
        lang = (language or "en").lower()
        return cls(language=lang, timezone=timezone or default_timezone(lang))


UTC_CONTEXT = DateContext()


def default_timezone(language: str | None) -> str:
    """The time zone naive dates of a source in ``language`` are read in (when it sets none)."""
    return DEFAULT_TIMEZONES.get((language or "").lower(), "UTC")


class DateReading(NamedTuple):
    at: datetime | None  # tz-aware UTC, or None when the quality is not "ok"
    quality: DateQuality
    raw: str | None  # the original text (kept when it could not be used)


class _Unreadable(Exception):
    """The text has a date's shape, but its parts are impossible: stop, do not guess further."""


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _offset(text: str | None) -> tzinfo | None:
    """``None`` for no zone; raises :class:`_Unreadable` for an impossible offset; ``KeyError``
    for an unknown abbreviation (left to dateparser)."""
    if not text:
        return None
    if text[0] in "+-":
        digits = text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            raise _Unreadable(text)
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if text[0] == "-" else delta)
    return timezone(timedelta(minutes=ZONE_OFFSETS_MIN[text.upper()]))


def _build(
    year: int, month: int, day: int, m: re.Match[str], zone: tzinfo | None, local: tzinfo
) -> datetime:
    hour = int(m["H"]) if m["H"] else 0
    minute = int(m["M"]) if m["M"] else 0
    second = int(m["S"]) if m["S"] else 0
    micro = int((m["frac"] or "0")[:6].ljust(6, "0"))
    try:
        value = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        raise _Unreadable(m.string) from None
    return value.replace(tzinfo=zone or local)


def _read_iso(text: str, ctx: DateContext, local: tzinfo) -> datetime | None:
    m = _ISO.fullmatch(text)
    if m is None:
        if text[0] in "+-" and _ISO_SHAPE.match(text):  # a signed year: never a news date
            raise _Unreadable(text)
        return None
    if m["sign"] or len(m["y"]) != 4:
        raise _Unreadable(text)
    year = int(m["y"])
    if year in SOLAR_HIJRI_YEARS and ctx.language == "fa":
        return _solar_hijri(year, int(m["m"]), int(m["d"]), m, local)
    return _build(year, int(m["m"]), int(m["d"]), m, _offset(m["zone"]), local)


def _month_en(name: str) -> int | None:
    low = name.lower()
    for i, full in enumerate(MONTHS_EN):
        if full.startswith(low) and len(low) >= 3:
            return i + 1
    if low == "sept":
        return 9
    return None


def _read_rfc822(text: str, ctx: DateContext, local: tzinfo) -> datetime | None:
    m = _RFC822.fullmatch(text)
    if m is None:
        return None
    month = _month_en(m["mon"])
    if month is None:
        return None
    year = int(m["y"])
    if len(m["y"]) == 2:
        year += 2000 if year < 50 else 1900
    return _build(year, month, int(m["d"]), m, _offset(m["zone"]), local)


def _read_russian_names(text: str, ctx: DateContext, local: tzinfo) -> datetime | None:
    if not _RU_MONTH.search(text):
        return None
    english = _RU_MONTH.sub(lambda m: _RU_MONTH_EN[m.group(1).lower()], text, count=1)
    english = _RU_WEEKDAY.sub("", english, count=1)
    return _read_rfc822(english.replace(" г.", "").replace(" в ", " "), ctx, local)


def _read_numeric(text: str, ctx: DateContext, local: tzinfo) -> datetime | None:
    m = _NUMERIC.fullmatch(text)
    if m is None:
        return None
    a, b, c = m["a"], m["b"], m["c"]
    if len(a) == 4:  # year first: Y/M/D
        year, month, day = int(a), int(b), int(c)
        if year in SOLAR_HIJRI_YEARS and ctx.language == "fa":
            return _solar_hijri(year, month, day, m, local)
    elif len(c) == 4:
        year = int(c)
        if m["sep"] == "." or ctx.language in DAY_FIRST_LANGUAGES:
            day, month = int(a), int(b)
        else:
            month, day = int(a), int(b)
        if year in SOLAR_HIJRI_YEARS and ctx.language == "fa":
            return _solar_hijri(year, month, day, m, local)
    else:
        return None  # a two-digit year: too ambiguous for the fast path
    return _build(year, month, day, m, _offset(m["zone"]), local)


def _solar_hijri(year: int, month: int, day: int, m: re.Match[str], local: tzinfo) -> datetime:
    import jdatetime

    try:
        greg = jdatetime.date(year, month, day).togregorian()
    except ValueError:
        raise _Unreadable(m.string) from None
    zone = _offset(m["zone"]) if "zone" in m.re.groupindex else None
    return _build(greg.year, greg.month, greg.day, m, zone, local)


def _read_solar_hijri_named(text: str, ctx: DateContext, local: tzinfo) -> datetime | None:
    m = _SOLAR_HIJRI_NAMED.search(text)
    if m is None:
        return None
    year = int(m["y"])
    if year not in SOLAR_HIJRI_YEARS:
        return None
    rest = text[m.end() :]
    t = _ANY_TIME.search(rest)
    import jdatetime

    try:
        greg = jdatetime.date(year, MONTHS_SOLAR_HIJRI[m["mon"]], int(m["d"])).togregorian()
        hour, minute = (int(t["t_H"]), int(t["t_M"])) if t else (0, 0)
        second = int(t["t_S"]) if t and t["t_S"] else 0
        value = datetime(greg.year, greg.month, greg.day, hour, minute, second)
    except ValueError:
        raise _Unreadable(text) from None
    return value.replace(tzinfo=local)


@lru_cache(maxsize=16)
def _dateparser(languages: tuple[str, ...], tz_name: str, day_first: bool) -> Any:
    from dateparser.date import DateDataParser

    settings = {
        "TIMEZONE": tz_name,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PARSERS": ["custom-formats", "absolute-time"],  # no relative dates, no timestamps
        "DATE_ORDER": "DMY" if day_first else "MDY",
    }
    return DateDataParser(languages=list(languages), settings=settings)


def _read_dateparser(text: str, ctx: DateContext, local: tzinfo) -> datetime | None:
    if _BARE_TIME.fullmatch(text):  # a time and nothing else: no date to find
        return None
    languages = (ctx.language, "en") if ctx.language != "en" else ("en",)
    day_first = ctx.language in DAY_FIRST_LANGUAGES or bool(re.search(r"\d\.\d", text))
    try:
        parsed = _dateparser(languages, ctx.timezone, day_first).get_date_data(text)
    except Exception:  # dateparser raises assorted errors on odd input; it is a last resort
        return None
    value = parsed.date_obj if parsed is not None else None
    if value is None or parsed.period not in ("day", "time"):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=local)
    return value  # type: ignore[no-any-return]


_READERS: tuple[Callable[[str, DateContext, tzinfo], datetime | None], ...] = (
    _read_iso,
    _read_rfc822,
    _read_russian_names,
    _read_numeric,
    _read_solar_hijri_named,
    _read_dateparser,
)


@lru_cache(maxsize=8192)
def _read_text(text: str, ctx: DateContext) -> datetime | None:
    """The text as tz-aware UTC, or ``None`` when it cannot be read. Cached."""
    local = _zone(ctx.timezone)
    try:
        for reader in _READERS:
            try:
                value = reader(text, ctx, local)
            except KeyError:  # unknown zone abbreviation: let a later reader try
                continue
            if value is not None:
                return value.astimezone(UTC)
    except (_Unreadable, OverflowError, ValueError):
        return None
    return None


def normalise_text(value: str) -> str:
    """Digits as ASCII, Arabic letter variants as Persian ones, whitespace collapsed."""
    return " ".join(value.replace("\x00", "").translate(_DIGITS).split())


def read_date(
    value: datetime | date | time.struct_time | str | None,
    *,
    now: datetime | None = None,
    context: DateContext | None = None,
) -> DateReading:
    """Read and judge a date from a feed, sitemap or page (see the module docstring)."""
    ctx = context or UTC_CONTEXT
    raw = value if isinstance(value, str) else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return DateReading(None, "missing", None)
    if isinstance(value, time.struct_time):
        parsed: datetime | None = datetime(*value[:6], tzinfo=UTC)  # feedparser's are UTC
    elif isinstance(value, datetime):
        parsed = value.replace(tzinfo=_zone(ctx.timezone)) if value.tzinfo is None else value
        parsed = parsed.astimezone(UTC)
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day, tzinfo=_zone(ctx.timezone))
        parsed = parsed.astimezone(UTC)
    else:
        text = normalise_text(value)
        if not text:
            return DateReading(None, "missing", raw)
        parsed = _read_text(text[:200], ctx)
    if parsed is None:
        return DateReading(None, "unparseable", raw)
    now = now or datetime.now(UTC)
    if parsed < EARLIEST:
        return DateReading(None, "implausible", raw)
    if parsed > now + FUTURE_TOLERANCE:
        return DateReading(None, "future", raw)
    return DateReading(parsed, "ok", raw)


def judge_date(
    value: datetime | date | time.struct_time | str | None,
    *,
    now: datetime | None = None,
    context: DateContext | None = None,
) -> tuple[datetime | None, DateQuality]:
    """``(utc_datetime_or_None, quality)`` for a date from a feed, sitemap or page."""
    reading = read_date(value, now=now, context=context)
    return reading.at, reading.quality


MAX_DATE_TEXT = 200


def unread_date_text(value: object, quality: DateQuality) -> str | None:
    """The source's own date string when it was not read as a plausible date (kept so that a
    reader sees what the source said instead of a wrong real date); None when it was read."""
    if quality == "ok" or not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text[:MAX_DATE_TEXT] or None
