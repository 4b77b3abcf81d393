"""A feed parsed without its base URI (the fast way) reads exactly as one parsed with it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.collect import feeds
from monitor.collect.dates import DateContext
from monitor.collect.feed_base import ids_may_resolve, resolves_to_itself
from monitor.collect.records import ParsedFeed
from tests.collect.feed_cases import FeedCase, feed_cases, single_entry_cases

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CASES = feed_cases() + single_entry_cases()


def outcome(case: FeedCase) -> ParsedFeed | tuple[str, str]:
    try:
        return feeds.parse_feed(
            case.body,
            feed_url=case.feed_url,
            content_type=case.content_type,
            now=NOW,
            dates=DateContext.for_source("ru"),
        )
    except Exception as exc:
        return type(exc).__name__, str(exc)


def parses(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, for each feedparser run, whether it had the base URI."""
    runs: list[bool] = []
    real = feeds._feedparser

    def spy(utf8: bytes, *, feed_url: str, with_base: bool) -> Any:
        runs.append(with_base)
        return real(utf8, feed_url=feed_url, with_base=with_base)

    monkeypatch.setattr(feeds, "_feedparser", spy)
    return runs


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_feed_reads_as_when_parsed_with_its_base(
    case: FeedCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = outcome(case)
    with monkeypatch.context() as m:
        m.setattr(feeds, "base_may_matter", lambda document, feed_url: True)
        runs = parses(m)
        with_base = outcome(case)
    assert all(runs)
    assert fast == with_base


def test_a_feed_of_absolute_links_is_parsed_once_without_its_base(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = parses(monkeypatch)
    plain = {c.name: c for c in CASES}
    for name in ("plain absolute links", "guid not a permalink", "windows-1251 declared utf-8"):
        runs.clear()
        assert isinstance(outcome(plain[name]), ParsedFeed)
        assert runs == [False], name


def test_a_feed_that_may_read_otherwise_is_parsed_again_with_its_base(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = parses(monkeypatch)
    plain = {c.name: c for c in CASES}
    for name in ("ampersands in links", "CDATA and HTML descriptions", "HTML in titles"):
        runs.clear()
        outcome(plain[name])
        assert runs == [False, True], name


def test_a_relative_link_or_a_document_base_parses_with_the_base_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = parses(monkeypatch)
    plain = {c.name: c for c in CASES}
    for name in (
        "relative links",
        "atom relative hrefs and ids",
        "guid only, permalink by default",
        "atom xml:base",
        "base attribute on an item",
    ):
        runs.clear()
        outcome(plain[name])
        assert runs == [True], name


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://news.example/a/1.html", True),
        ("https://other.example/x?a=1&b=2", True),
        ("urn:newsite:gen-000:story-0000", True),
        ("tag:news.example,2026:1", True),
        ("/a/1.html", False),
        ("story.html", False),
        ("42", False),
        ("", False),
        ("http:relative", False),
        ("http://news.example/p?", False),
        ("http://news.example/p;", False),
        ("http://news.example/p&x", False),  # a link's `&amp;` rewrite would come after
        ("http://news.example/a\tb", False),
        ("http://[::1/broken", False),
    ],
)
def test_resolves_to_itself(uri: str, expected: bool) -> None:
    assert resolves_to_itself(uri, "http://news.example/feeds/rss.xml") is expected


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (b'<rss><item><guid isPermaLink="false">1</guid></item></rss>', False),
        (b"<rss><item><guid ISPERMALINK='no' >1</guid></item></rss>", False),
        (b"<rss><item><link>x</link></item></rss>", False),
        (b"<rss><item><guid>1</guid></item></rss>", True),
        (b'<rss><item><guid isPermaLink="true">1</guid></item></rss>', True),
        (b'<rss><item><guid isPermaLink="&#102;alse">1</guid></item></rss>', True),
        (b'<rss><item><guid isPermaLink="false" isPermaLink="true">1</guid></item></rss>', True),
        (b'<rss><item><guid x=\'" isPermaLink="false"\'>1</guid></item></rss>', True),
        (b'<rss><item><guid isPermaLink="false">1</guid><atom:id>2</atom:id></item></rss>', True),
        (b"<feed><entry><id>urn:x</id></entry></feed>", True),
    ],
)
def test_ids_may_resolve(document: bytes, expected: bool) -> None:
    assert ids_may_resolve(document) is expected
