"""Reading publication dates: formats, languages, calendars, time zones and impossible values."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from monitor.collect.crawl import make_job
from monitor.collect.dates import DateContext, default_timezone, judge_date, read_date
from monitor.collect.feeds import parse_feed
from monitor.collect.sitemaps import parse_sitemap
from monitor.config import CrawlSettings, load_sources_file
from monitor.db.engine import Database
from monitor.db.models import Source
from monitor.db.read.sources import list_sources
from monitor.db.sources import merge_sources
from monitor.errors import ConfigError

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
RU = DateContext.for_source("ru")
FA = DateContext.for_source("fa")
EN = DateContext.for_source("en")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "ctx", "expected"),
    [
        # day first for Russian and Persian sources, and for dotted dates anywhere
        pytest.param("03.12.2025 14:30", RU, utc(2025, 12, 3, 11, 30), id="ru dotted, Moscow"),
        pytest.param("03.12.2025 14:30", EN, utc(2025, 12, 3, 14, 30), id="en dotted, UTC"),
        pytest.param("12/03/2025", RU, utc(2025, 3, 11, 21), id="ru slashes day first"),
        pytest.param("12/03/2025", EN, utc(2025, 12, 3), id="en slashes month first"),
        # localized month and weekday names
        pytest.param(
            "Ср, 03 дек 2025 14:30:00 +0300", RU, utc(2025, 12, 3, 11, 30), id="ru rfc822"
        ),
        pytest.param("3 декабря 2025, 14:30", RU, utc(2025, 12, 3, 11, 30), id="ru genitive"),
        pytest.param("۳ دسامبر ۲۰۲۵", FA, utc(2025, 12, 2, 20, 30), id="fa gregorian name"),
        # Solar Hijri, Persian digits, ZWNJ in the weekday
        pytest.param("۱۲ آذر ۱۴۰۴ - ۱۴:۳۰", FA, utc(2025, 12, 3, 11, 0), id="solar hijri named"),
        pytest.param(
            "چهارشنبه ۱۲ آذر ۱۴۰۴ ساعت ۱۴:۳۰", FA, utc(2025, 12, 3, 11, 0), id="with weekday"
        ),
        pytest.param("پنج\u200cشنبه ۱۳ آذر ۱۴۰۴", FA, utc(2025, 12, 3, 20, 30), id="zwnj weekday"),
        pytest.param("1404/09/12 - 14:30", FA, utc(2025, 12, 3, 11, 0), id="solar hijri numeric"),
        pytest.param("۱۴۰۳/۱۲/۳۰", FA, utc(2025, 3, 19, 20, 30), id="leap esfand 30"),
        # naive times are in the source's zone; explicit zones win
        pytest.param("2025-12-03T14:30:00", RU, utc(2025, 12, 3, 11, 30), id="naive iso ru"),
        pytest.param("2025-12-03T14:30:00", FA, utc(2025, 12, 3, 11, 0), id="naive iso fa"),
        pytest.param("2025-12-03T14:30:00", EN, utc(2025, 12, 3, 14, 30), id="naive iso en"),
        pytest.param("Wed, 03 Dec 2025 14:30:00", RU, utc(2025, 12, 3, 11, 30), id="naive rfc"),
        pytest.param("Wed, 03 Dec 2025 14:30:00 GMT", RU, utc(2025, 12, 3, 14, 30), id="gmt"),
        pytest.param("Wed, 03 Dec 2025 14:30:00 MSK", EN, utc(2025, 12, 3, 11, 30), id="msk"),
        pytest.param("Wed, 03 Dec 2025 14:30:00 IRST", EN, utc(2025, 12, 3, 11, 0), id="irst"),
        pytest.param("2025-12-03T14:30:00.123+03:30", EN, utc(2025, 12, 3, 11, 0, 0, 123000)),
        pytest.param(
            "December 3, 2025 2:30 PM EST", EN, utc(2025, 12, 3, 19, 30), id="en free form"
        ),
        pytest.param(
            "2025-12-03T14:30:00",
            DateContext.for_source("ru", "Asia/Vladivostok"),
            utc(2025, 12, 3, 4, 30),
            id="source zone overrides the language's",
        ),
    ],
)
def test_reads_dates(text: str, ctx: DateContext, expected: datetime) -> None:
    reading = read_date(text, now=NOW, context=ctx)
    assert (reading.at, reading.quality) == (expected, "ok")


@pytest.mark.parametrize(
    ("text", "ctx", "quality"),
    [
        pytest.param("14:30", RU, "unparseable", id="bare time is not today"),
        pytest.param("14:30", EN, "unparseable", id="bare time en"),
        pytest.param("декабрь 2025", RU, "unparseable", id="no day"),
        pytest.param("вчера в 14:30", RU, "unparseable", id="relative"),
        pytest.param("3 дня назад", RU, "unparseable", id="relative ago"),
        pytest.param("2024-13-45T25:61:61Z", EN, "unparseable", id="impossible iso"),
        pytest.param("-0001-01-01", EN, "unparseable", id="signed year"),
        pytest.param("2025-01-01T10:00:00+25:00", EN, "unparseable", id="offset over 24h"),
        pytest.param("Mon, 31 Feb 2026 10:00:00 +0000", EN, "unparseable", id="31 February"),
        pytest.param("1404/12/30", FA, "unparseable", id="esfand 30 of a common year"),
        pytest.param("not a date", EN, "unparseable", id="words"),
        pytest.param("Thu, 01 Jan 1970 00:00:00 GMT", EN, "implausible", id="epoch"),
        pytest.param("2099-01-01", EN, "future", id="future"),
    ],
)
def test_refuses_dates_it_cannot_trust_and_keeps_the_text(
    text: str, ctx: DateContext, quality: str
) -> None:
    reading = read_date(text, now=NOW, context=ctx)
    assert (reading.at, reading.quality, reading.raw) == (None, quality, text)


def test_nothing_given_is_missing() -> None:
    assert judge_date(None) == (None, "missing")
    assert judge_date("  \x00 ") == (None, "missing")


def test_default_time_zones_follow_the_language() -> None:
    assert [default_timezone(lang) for lang in ("ru", "fa", "en", None)] == [
        "Europe/Moscow",
        "Asia/Tehran",
        "UTC",
        "UTC",
    ]


def _rss(*dates: str) -> bytes:
    items = "".join(
        f"<item><title>t{i}</title><link>https://x.org/a/{i}</link><pubDate>{d}</pubDate></item>"
        for i, d in enumerate(dates)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def test_feed_dates_use_the_source_context_not_feedparsers_guesses() -> None:
    body = _rss(
        "14:30",  # feedparser: today
        "2024-13-45T25:61:61Z",  # feedparser: rolled over to 2025-01-01
        "03.12.2025 14:30",  # feedparser: nothing
        "2025-12-03T14:30:00",  # feedparser: UTC
        "Sat, 03 Jan 2026 09:00:00 +0300",
    )
    feed = parse_feed(body, feed_url="https://x.org/rss", now=NOW, dates=RU)
    got = [(e.published_at, e.date_quality) for e in feed.entries]
    assert got == [
        (None, "unparseable"),
        (None, "unparseable"),
        (utc(2025, 12, 3, 11, 30), "ok"),
        (utc(2025, 12, 3, 11, 30), "ok"),
        (utc(2026, 1, 3, 6, 0), "ok"),
    ]
    # what the source wrote is kept when it is not a readable date, never a wrong real date
    assert [e.date_text for e in feed.entries] == [
        "14:30",
        "2024-13-45T25:61:61Z",
        None,
        None,
        None,
    ]


def test_sitemap_dates_use_the_source_context() -> None:
    body = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://x.ir/news/1</loc><news:news><news:publication><news:name>X</news:name>
<news:language>fa</news:language></news:publication>
<news:publication_date>2025-12-03T14:30:00</news:publication_date><news:title>T</news:title></news:news></url>
</urlset>"""
    parsed = parse_sitemap(body, sitemap_url="https://x.ir/s.xml", now=NOW, dates=FA)
    assert parsed.entries[0].published_at == utc(2025, 12, 3, 11, 0)


def test_source_timezone_setting_reaches_the_crawl_job(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "sources": [
                    {"name": "A", "url": "https://a.ru/rss", "kind": "rss", "language": "ru"},
                    {
                        "name": "B",
                        "url": "https://b.ru/rss",
                        "kind": "rss",
                        "language": "ru",
                        "timezone": "Asia/Yekaterinburg",
                    },
                ]
            }
        )
    )
    configs = load_sources_file(path)
    db = Database.open(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with db.session() as session:
            merge_sources(session, configs, origin="config")
            assert [c.timezone for c in list_sources(session)] == [None, "Asia/Yekaterinburg"]
            rows = session.scalars(select(Source).order_by(Source.name))
            jobs = [make_job(s, None, CrawlSettings()) for s in rows]
    finally:
        db.close()
    contexts = [DateContext.for_source(j.language, j.timezone) for j in jobs]
    assert [c.timezone for c in contexts] == ["Europe/Moscow", "Asia/Yekaterinburg"]


def test_unknown_source_timezone_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  - {name: A, url: 'https://a.ru/rss', kind: rss, language: ru,"
        " timezone: Mars/Olympus}\n"
    )
    with pytest.raises(ConfigError, match=r"sources\.0\.timezone \(A\): unknown time zone"):
        load_sources_file(path)


def test_struct_time_without_text_is_still_used() -> None:
    value = time.struct_time((2025, 12, 3, 11, 30, 0, 2, 337, 0))
    assert judge_date(value, now=NOW) == (utc(2025, 12, 3, 11, 30), "ok")
