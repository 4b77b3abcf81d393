"""Parsers over fixture bytes: charsets, feeds, sitemaps, listings, dates, safety, discovery."""

from __future__ import annotations

import gzip
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from monitor.collect.charset import MOSTLY_UTF8, _score, _score_decoded, decode_bytes, mostly_utf8
from monitor.collect.dates import judge_date
from monitor.collect.discover import feeds_in_document, find_feed_links
from monitor.collect.feeds import parse_feed
from monitor.collect.listings import extract_listing_links
from monitor.collect.polling import backoff_delay, next_due_after_failure, parse_retry_after
from monitor.collect.sitemaps import parse_sitemap
from monitor.config import ListingSelectors
from monitor.errors import FeedParseError, UnsafeDocumentError

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
RU = "Министр иностранных дел России встретился с иранским коллегой в Тегеране и обсудил транспортный коридор"
FA = "وزير امور خارجه ايران با همتاي روسي خود در مسكو ديدار كرد و درباره همكاري اقتصادي گفتگو كردند"


def rss(title: str, *, encoding: str = "utf-8", extra: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
        f"<title>Test</title><link>https://news.example.org/</link>{extra}"
        f"<item><title>{title}</title><link>/world/2026/11/a-story.html</link><guid>g-1</guid>"
        "<pubDate>Sat, 28 Nov 2026 09:00:00 +0300</pubDate><description>Short text</description></item>"
        "</channel></rss>"
    )


@pytest.mark.parametrize(
    ("text", "codec", "declared"),
    [
        pytest.param(RU, "windows-1251", "", id="cp1251 undeclared"),
        pytest.param(RU, "windows-1251", "utf-8", id="cp1251 declared utf-8"),
        pytest.param(RU, "koi8-r", "windows-1251", id="koi8-r declared cp1251"),
        pytest.param(RU, "koi8-r", "", id="koi8-r undeclared"),
        pytest.param(FA, "windows-1256", "iso-8859-1", id="cp1256 declared latin-1"),
        pytest.param(FA, "windows-1256", "", id="cp1256 undeclared"),
        pytest.param(RU, "utf-8", "windows-1251", id="utf-8 declared cp1251"),
    ],
)
def test_feed_with_wrong_or_missing_charset_decodes(text: str, codec: str, declared: str) -> None:
    body = rss(text, encoding=declared or "utf-8").encode(codec)
    if not declared:
        body = body.replace(b' encoding="utf-8"', b"")
    feed = parse_feed(
        body,
        feed_url="https://news.example.org/rss.xml",
        content_type=f"text/xml; charset={declared}" if declared else "text/xml",
    )
    assert feed.entries[0].title == text


@pytest.mark.parametrize(
    "codec", ["windows-1251", "koi8-r", "windows-1252", "windows-1256", "iso-8859-5", "cp866"]
)
def test_charset_score_from_byte_counts_equals_score_of_the_decoded_text(codec: str) -> None:
    rng = random.Random(codec)
    mixed = "Mixed ЛАТИНИЦА and сМеШаНнЫй Café «№5» — ok…\x01\r\n"
    samples = [
        (RU + " " + mixed).encode("windows-1251", "replace") * 3,
        (FA + " " + RU).encode("windows-1256", "replace"),
        RU.encode("koi8-r"),
        "Café in München, naïve résumé".encode("cp1252"),
        bytes(rng.randrange(256) for _ in range(5000)),
        b"x",
    ]
    for sample in samples:
        expected = _score(sample.decode(codec, "replace"))
        assert _score_decoded(sample, codec, Counter(sample)) == pytest.approx(expected)


def test_mostly_utf8_quick_refusal_agrees_with_counting() -> None:
    rng = random.Random(5)
    utf8, cp1251 = RU.encode("utf-8"), RU.encode("windows-1251")
    for _ in range(300):
        parts = [
            rng.choice([utf8, cp1251, b"ascii ", bytes([rng.randrange(256)])]) for _ in range(8)
        ]
        body = b"".join(parts)
        text = body.decode("utf-8", "replace")
        broken = text.count("\ufffd") - body.count("\ufffd".encode())
        valid = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
        expected = text if broken > 0 and valid >= MOSTLY_UTF8 * broken else None
        assert mostly_utf8(body) == expected


def test_decode_plain_text_keeps_latin() -> None:
    text, codec = decode_bytes("Café in München, naïve résumé".encode("cp1252"))
    assert text == "Café in München, naïve résumé"
    assert codec == "cp1252"


def test_feed_entry_is_normalised() -> None:
    body = rss("Iran &amp;amp; Russia &lt;b&gt;sign&lt;/b&gt;\x00").encode()
    feed = parse_feed(body.replace(b"\x00", b""), feed_url="https://news.example.org/rss.xml")
    entry = feed.entries[0]
    assert entry.title == "Iran & Russia sign"  # markup of text-level elements is read as HTML
    assert (
        entry.url == "https://news.example.org/world/2026/11/a-story.html"
    )  # relative link resolved
    assert entry.published_at == datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    assert entry.date_quality == "ok"
    assert entry.summary == "Short text"


@pytest.mark.parametrize("scheme", ["javascript:alert(1)", "data:text/html,hi", "mailto:a@b.org"])
def test_unsafe_links_are_rejected(scheme: str) -> None:
    body = rss("A title").replace("/world/2026/11/a-story.html", scheme).encode()
    feed = parse_feed(body, feed_url="https://news.example.org/rss.xml")
    assert [(e.title, e.url) for e in feed.entries] == [("A title", "")]  # kept, link dropped
    assert any("not http(s)" in w for w in feed.warnings)


@pytest.mark.parametrize(
    "doc",
    [
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><rss><channel><title>&b;</title></channel></rss>',
        '<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd" [<!ENTITY % p SYSTEM "http://x/">]><rss/>',
    ],
)
def test_entity_declarations_are_refused_before_parsing(doc: str) -> None:
    with pytest.raises(UnsafeDocumentError, match="DTD or entities"):
        parse_feed(doc.encode(), feed_url="https://x.org/f")
    with pytest.raises(UnsafeDocumentError):
        parse_sitemap(doc.encode(), sitemap_url="https://x.org/s")


def test_rss091_public_doctype_is_fine() -> None:
    doc = rss("Old feed").replace(
        "<rss",
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss',
        1,
    )
    assert (
        parse_feed(doc.encode(), feed_url="https://news.example.org/rss.xml").entries[0].title
        == "Old feed"
    )


def test_malformed_feed_keeps_recoverable_entries() -> None:
    good = "".join(
        f"<item><title>Entry {i}</title><link>https://x.org/news/entry-{i}-long-slug</link></item>"
        for i in range(3)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{good}<item><title>Q&A <b>broken'
    feed = parse_feed(body.encode(), feed_url="https://x.org/rss.xml")
    assert [e.title for e in feed.entries][:3] == ["Entry 0", "Entry 1", "Entry 2"]
    assert any(w.startswith("malformed feed") for w in feed.warnings)


def test_html_instead_of_feed_and_empty_feed() -> None:
    with pytest.raises(FeedParseError, match="HTML page"):
        parse_feed(
            b"<!DOCTYPE html><html><head><title>Home</title></head><body>x</body></html>",
            feed_url="https://x.org/",
        )
    with pytest.raises(FeedParseError, match="empty body"):
        parse_feed(b"  ", feed_url="https://x.org/rss.xml")
    empty = parse_feed(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>',
        feed_url="https://x.org/rss.xml",
    )
    assert empty.entries == []
    assert "feed has no entries" in empty.warnings


def test_odd_character_references_and_impossible_dates_never_raise() -> None:
    items = (
        "<item><title>Bad ref &#xD800; &#99999999; &#0;</title><link>https://x.org/a-b-c</link>"
        "<pubDate>Mon, 31 Feb 2026 99:99:99 +9900</pubDate></item>"
        "<item><title>Future</title><link>https://x.org/f-g-h</link><pubDate>Tue, 01 Jan 2099 00:00:00 GMT</pubDate></item>"
        "<item><title>Ancient</title><link>https://x.org/i-j-k</link><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>"
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )
    feed = parse_feed(body.encode(), feed_url="https://x.org/rss.xml", now=NOW)
    by_title = {e.title: e for e in feed.entries}
    assert by_title["Future"].published_at is None
    assert by_title["Future"].date_quality == "future"
    assert by_title["Ancient"].date_quality == "implausible"
    assert [e.title for e in feed.entries] == ["Bad ref", "Future", "Ancient"]
    bad = feed.entries[0]
    assert "\x00" not in bad.title
    assert bad.published_at is None


@pytest.mark.parametrize(
    ("value", "quality"),
    [
        (None, "missing"),
        ("", "missing"),
        ("not a date", "unparseable"),
        ("2026-11-28T10:00:00+03:00", "ok"),
        ("2099-01-01", "future"),
        ("1899-01-01", "implausible"),
    ],
)
def test_judge_date(value: str | None, quality: str) -> None:
    when, got = judge_date(value, now=NOW)
    assert got == quality
    assert (when is not None) == (quality == "ok")


NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://x.org/news/2026/11/28/new-story.html</loc><news:news><news:publication><news:name>X</news:name>
<news:language>ru</news:language></news:publication><news:publication_date>2026-11-28T10:00:00+00:00</news:publication_date>
<news:title>Новая история &lt;i&gt;дня&lt;/i&gt;</news:title></news:news></url>
<url><loc>https://x.org/news/2026/11/20/old-story.html</loc><news:news><news:publication><news:name>X</news:name>
<news:language>ru</news:language></news:publication><news:publication_date>2026-11-20T10:00:00+00:00</news:publication_date>
<news:title>Старая</news:title></news:news></url>
<url><loc>javascript:alert(1)</loc></url>
</urlset>""".encode()


def test_news_sitemap_only_newer_entries() -> None:
    since = datetime(2026, 11, 25, tzinfo=UTC)
    parsed = parse_sitemap(
        NEWS_SITEMAP, sitemap_url="https://x.org/sitemap-news.xml", since=since, now=NOW
    )
    assert [(e.title, e.language, e.arrived_via) for e in parsed.entries] == [
        ("Новая история дня", "ru", "sitemap")
    ]
    assert parsed.newest == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert len(parse_sitemap(NEWS_SITEMAP, sitemap_url="https://x.org/s.xml", now=NOW).entries) == 2


def test_plain_sitemap_lastmod_and_index() -> None:
    body = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>/a/2026/11/27/one.html</loc><lastmod>2026-11-27</lastmod></url>
    <url><loc>/a/2026/11/01/two.html</loc><lastmod>2026-11-01</lastmod></url></urlset>"""
    parsed = parse_sitemap(
        body,
        sitemap_url="https://x.org/sitemap.xml",
        since=datetime(2026, 11, 15, tzinfo=UTC),
        now=NOW,
    )
    assert [e.url for e in parsed.entries] == ["https://x.org/a/2026/11/27/one.html"]
    assert parsed.entries[0].published_at is None  # lastmod is not a publication date
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://x.org/s1.xml</loc></sitemap></sitemapindex>"""
    assert parse_sitemap(index, sitemap_url="https://x.org/i.xml").child_sitemaps == [
        "https://x.org/s1.xml"
    ]


LISTING = """<html><head><base href="https://x.org/"></head><body>
<nav><a href="/news/2026/11/28/nav-story-should-not-count.html">Navigation link with many words here</a></nav>
<main>
<article><h2><a class="story" href="news/2026/11/28/iran-russia-sign-deal.html">Iran and Russia sign a new deal</a></h2></article>
<article><h2><a class="story" href="https://x.org/news/2026/11/27/second-story.html?utm_source=home">Second story of the day here</a></h2></article>
<a href="/tag/iran">Everything tagged with Iran right here</a>
<a href="javascript:void(0)">A javascript link that looks long enough</a>
<a href="https://other.org/news/2026/11/28/elsewhere.html">Story on another site entirely here</a>
<a href="/news/2026/11/28/iran-russia-sign-deal.html#comments">Iran and Russia sign a new deal</a>
<a href="/about">About us</a>
</main></body></html>"""


def test_listing_default_heuristic() -> None:
    links = extract_listing_links(LISTING, page_url="https://x.org/news/")
    assert [link.url for link in links] == [
        "https://x.org/news/2026/11/28/iran-russia-sign-deal.html",
        "https://x.org/news/2026/11/27/second-story.html?utm_source=home",
    ]
    assert links[0].title == "Iran and Russia sign a new deal"


def test_listing_selectors() -> None:
    css = extract_listing_links(
        LISTING,
        page_url="https://x.org/news/",
        selectors=ListingSelectors(article_links_css="a.story"),
    )
    xpath = extract_listing_links(
        LISTING,
        page_url="https://x.org/news/",
        selectors=ListingSelectors(article_links_xpath="//nav//a"),
    )
    assert len(css) == 2
    assert [link.title for link in xpath] == ["Navigation link with many words here"]


def test_feed_autodiscovery() -> None:
    html = """<html><head><link rel="alternate" type="application/rss+xml" title="News RSS" href="/rss.xml">
    <link rel="alternate" type="application/atom+xml" href="https://x.org/atom.xml">
    <link rel="alternate" hreflang="ru" href="/ru/"><link rel="stylesheet" href="/s.css"></head></html>"""
    found = find_feed_links(html, page_url="https://x.org/news/")
    assert [(f.url, f.kind, f.title) for f in found] == [
        ("https://x.org/rss.xml", "rss", "News RSS"),
        ("https://x.org/atom.xml", "atom", None),
    ]
    itself = feeds_in_document(
        rss("x").encode(), url="https://x.org/rss.xml", content_type="application/rss+xml"
    )
    assert [(f.url, f.kind) for f in itself] == [("https://x.org/rss.xml", "rss")]


def test_backoff_and_retry_after() -> None:
    assert backoff_delay(1, base_minutes=15, max_hours=24) == timedelta(minutes=15)
    assert backoff_delay(3, base_minutes=15, max_hours=24) == timedelta(minutes=60)
    assert backoff_delay(50, base_minutes=15, max_hours=24) == timedelta(hours=24)  # never parked
    assert parse_retry_after("120", now=NOW) == NOW + timedelta(seconds=120)
    assert parse_retry_after("Sat, 28 Nov 2026 13:00:00 GMT", now=NOW) == NOW + timedelta(hours=1)
    assert parse_retry_after("soon", now=NOW) is None
    due = next_due_after_failure(
        NOW, 1, base_minutes=15, max_hours=24, retry_after_until=NOW + timedelta(hours=2)
    )
    assert due == NOW + timedelta(hours=2)


def test_gzip_fixture_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError):
        parse_feed(gzip.compress(b"<rss></rss>"), feed_url="https://x.org/rss.xml")
