"""Hostile and odd feed text: titles with ``<``, markup that would lose words, entries without a
link. Input is never silently lost or altered."""

from __future__ import annotations

from html import escape

import pytest
from scrapy import Request
from sqlalchemy import select

from monitor.collect.feeds import parse_feed
from monitor.collect.records import CollectedItem
from monitor.collect.text import html_to_text
from monitor.db.engine import Database
from monitor.db.models import Item
from tests.collect.test_spider import crawl_feed, make_spider

FEED_URL = "https://news.example.org/rss.xml"


def rss_items(*items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://news.example.org/</link>{''.join(items)}</channel></rss>"
    ).encode()


def rss_title(title_xml: str, description_xml: str = "Short") -> bytes:
    return rss_items(
        f"<item><title>{title_xml}</title><link>https://news.example.org/a-story.html</link>"
        f"<description>{description_xml}</description></item>"
    )


def atom_entry(
    title_xml: str, title_type: str, content_xml: str = "x", content_type: str = "html"
) -> bytes:
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<id>urn:feed</id><updated>2026-11-28T09:00:00Z</updated><entry><id>urn:1</id>"
        f'<title type="{title_type}">{title_xml}</title>'
        '<link rel="alternate" href="https://news.example.org/a-story.html"/>'
        f'<updated>2026-11-28T09:00:00Z</updated><content type="{content_type}">{content_xml}</content>'
        "</entry></feed>"
    ).encode()


@pytest.mark.parametrize(
    ("title_xml", "expected"),
    [
        pytest.param(
            "Use &lt;script&gt; tags carefully", "Use <script> tags carefully", id="script"
        ),
        pytest.param("Is 2 &lt; 3 &gt; 1?", "Is 2 < 3 > 1?", id="comparison"),
        pytest.param("&lt;plaintext&gt; is obsolete", "<plaintext> is obsolete", id="plaintext"),
        pytest.param(
            "Caspian summit &lt;script&gt;alert(1)&lt;/script&gt; ends",
            "Caspian summit <script>alert(1)</script> ends",
            id="script element spelled out",
        ),
        pytest.param("&lt;&lt;&lt;", "<<<", id="only brackets"),
    ],
)
def test_rss_title_with_angle_brackets_is_text(title_xml: str, expected: str) -> None:
    entry = parse_feed(rss_title(title_xml), feed_url=FEED_URL).entries[0]
    assert entry.title == expected


def test_atom_title_type_decides() -> None:
    as_text = parse_feed(atom_entry("Use &lt;b&gt;bold&lt;/b&gt;", "text"), feed_url=FEED_URL)
    assert as_text.entries[0].title == "Use <b>bold</b>"
    as_html = parse_feed(
        atom_entry("Iran &lt;i&gt;and&lt;/i&gt; Russia", "html"), feed_url=FEED_URL
    )
    assert as_html.entries[0].title == "Iran and Russia"


def test_plaintext_in_html_leaves_no_closing_tags() -> None:
    body = escape("<p>Intro</p><plaintext>Rest of the story</body></html>")
    entry = parse_feed(rss_title("T", body), feed_url=FEED_URL).entries[0]
    assert entry.summary == "Intro\n\nRest of the story"
    assert "</" not in entry.summary
    from monitor.collect.text import title_text

    assert title_text("<plaintext>x</body></html>", is_html=True).text == "x"


@pytest.mark.parametrize("depth", [100, 300, 3000])
def test_deep_nesting_keeps_the_text(depth: int) -> None:
    markup = "<div>" * depth + "deep words" + "</div>" * depth + "<p>after</p>"
    assert html_to_text(markup) == "deep words\n\nafter"
    entry = parse_feed(rss_title("T", escape(markup)), feed_url=FEED_URL).entries[0]
    assert entry.summary == "deep words\n\nafter"


@pytest.mark.parametrize(
    ("markup", "single", "multi"),
    [
        pytest.param(
            "<ul><li>Iran,</li><li>Russia</li><li></li><li>China</li></ul>",
            "Iran, Russia; China",
            "• Iran,\n• Russia\n• China",
            id="list",
        ),
        pytest.param(
            "<ol><li>Talks</li><li>Signing</li></ol>",
            "Talks; Signing",
            "1. Talks\n2. Signing",
            id="numbered list",
        ),
        pytest.param(
            "<p>Iran</p>, <p>Russia</p>, <p>China</p>",
            "Iran, Russia, China",
            "Iran,\n\nRussia,\n\nChina",
            id="paragraphs around commas",
        ),
        pytest.param(
            "He said <q>no deal</q>.<blockquote><p>We will talk again</p></blockquote>",
            "He said “no deal”. We will talk again",
            "He said “no deal”.\n\nWe will talk again",
            id="quotes",
        ),
        pytest.param(
            "<table><tr><td>Oil</td><td>80</td></tr></table>", "Oil 80", "Oil 80", id="cells"
        ),
        pytest.param(
            "Use <script> tags carefully", None, "Use <script> tags carefully", id="stray"
        ),
    ],
)
def test_safe_markup_keeps_words_and_structure(markup: str, single: str | None, multi: str) -> None:
    if single is not None:
        assert html_to_text(markup, single_line=True) == single
    assert html_to_text(markup) == multi
    assert ", ," not in html_to_text(markup, single_line=True)


def test_markup_without_text_is_never_silently_empty() -> None:
    from monitor.collect.text import convert_html

    converted = convert_html("<script>steal()</script><style>p{}</style>")
    assert converted.text == ""
    assert converted.warning
    assert "no text" in converted.warning
    # a title is never emptied: kept as written, with a warning
    body = atom_entry("&lt;script&gt;x()&lt;/script&gt;", "html", "&lt;style&gt;p{}&lt;/style&gt;")
    feed = parse_feed(body, feed_url=FEED_URL)
    assert feed.entries[0].title == "<script>x()</script>"
    assert feed.entries[0].text == ""
    assert any("title" in w and "no text" in w for w in feed.warnings)
    assert any("content" in w and "no text" in w for w in feed.warnings)


LINKLESS = (
    '<item><title>Bulletin one</title><guid isPermaLink="false">urn:bulletin:1</guid>'
    "<description>Tehran and Moscow agreed on a timetable.</description></item>",
    "<item><description>Only a description: talks resume in Baku.</description></item>",
    "<item><title>Same title</title><description>First text</description></item>",
    "<item><title>Same title</title><description>Second text</description></item>",
    "<item><title>With a link</title><link>https://news.example.org/linked.html</link>"
    "<guid>urn:linked</guid></item>",
    "<item><link>javascript:alert(1)</link><title>Unsafe link</title></item>",
    "<item></item>",
)


def test_entries_without_a_link_are_parsed() -> None:
    feed = parse_feed(rss_items(*LINKLESS), feed_url=FEED_URL)
    got = [(e.title, e.url, e.guid) for e in feed.entries]
    assert got == [
        ("Bulletin one", "", "urn:bulletin:1"),
        ("", "", None),
        ("Same title", "", None),
        ("Same title", "", None),
        ("With a link", "https://news.example.org/linked.html", "urn:linked"),
        ("Unsafe link", "", None),
    ]
    assert feed.entries[1].summary == "Only a description: talks resume in Baku."
    assert any("without an http(s) link were kept" in w for w in feed.warnings)
    assert any("1 entries without a link, a title or text were skipped" in w for w in feed.warnings)


def test_entries_without_a_link_are_stored_once(db: Database) -> None:
    spider, collector, source_id = make_spider(db)
    first = crawl_feed(spider, collector, rss_items(*LINKLESS))
    # short texts would need the article page: only the entry with a link has one to fetch
    assert [o.url for o in first if isinstance(o, Request)] == [
        "https://news.example.org/linked.html"
    ]
    assert not [o for o in first if isinstance(o, CollectedItem)]  # stored while read
    with db.session() as s:
        rows = s.execute(
            select(Item.title, Item.url, Item.canonical_url, Item.guid, Item.fulltext_status)
        ).all()
    linked = "https://news.example.org/linked.html"
    assert sorted((r.title, r.url, r.canonical_url, r.guid, r.fulltext_status) for r in rows) == [
        ("", "", "", None, "none"),
        ("Bulletin one", "", "", "urn:bulletin:1", "none"),
        ("Same title", "", "", None, "none"),
        ("Same title", "", "", None, "none"),
        ("Unsafe link", "", "", None, "none"),
        ("With a link", linked, linked, "urn:linked", "pending"),  # its page still to come
    ]
    # the next crawl of the same feed knows every one of them: nothing new, nothing doubled
    collector.tally(source_id).seen_keys.clear()
    crawl_feed(spider, collector, rss_items(*LINKLESS))
    with db.session() as s:
        assert len(s.execute(select(Item.id)).all()) == 6
    tally = collector.tally(source_id)
    assert (tally.new, tally.revised, tally.known) == (6, 0, 6)


MOSTLY_UTF8_TITLES = (
    "Министр иностранных дел России встретился с иранским коллегой в Тегеране",
    "وزیر امور خارجه ایران با همتای روسی خود در مسکو دیدار کرد",
    "Iran’s “Look East” policy — Moscow’s answer",
)


@pytest.mark.parametrize("declared", ["", "windows-1251", "utf-8"])
def test_one_invalid_utf8_sequence_does_not_garble_the_document(declared: str) -> None:
    items = [
        f"<item><title>{t}</title><link>https://news.example.org/{i}.html</link></item>".encode()
        for i, t in enumerate(MOSTLY_UTF8_TITLES)
    ]
    # one stray byte (a truncated copy-paste) in the middle of one description
    items.insert(1, b"<item><title>Broken</title><description>ab\xe2\x80 cd</description></item>")
    head = f'<?xml version="1.0" encoding="{declared or "utf-8"}"?>'.encode()
    body = head + b'<rss version="2.0"><channel><title>T</title>' + b"".join(items)
    body += b"</channel></rss>"
    if not declared:
        body = body.replace(b' encoding="utf-8"', b"")
    ctype = f"text/xml; charset={declared}" if declared else "text/xml"
    feed = parse_feed(body, feed_url=FEED_URL, content_type=ctype)
    titles = [e.title for e in feed.entries]
    assert titles == [MOSTLY_UTF8_TITLES[0], "Broken", *MOSTLY_UTF8_TITLES[1:]]
    assert feed.entries[1].summary == "ab\ufffd cd"  # the broken sequence, marked
