"""Demo and generated content: languages, charsets, markup and feed formats decode correctly."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections import Counter

import feedparser
import httpx
import pytest

from monitor.newsite import ALL_FEED_KINDS, NewsSite, demo_outlets, generate_outlets

ZWNJ = "\u200c"


def test_demo_set_covers_languages_charsets_and_themes() -> None:
    outlets = demo_outlets()
    assert 6 <= len(outlets) <= 8
    assert {o.language for o in outlets} == {"en", "ru", "fa"}
    assert {"utf-8", "windows-1251", "koi8-r", "windows-1256"} <= {o.charset for o in outlets}
    for outlet in outlets:
        assert 8 <= len(outlet.articles) <= 15, outlet.slug
    articles = [a for o in outlets for a in o.articles]
    hints = Counter(a.relevance_hint for a in articles)
    assert set(hints) == {"bilateral", "iran_only", "russia_only", "sport", "list_mention", "other"}
    themes = {t for a in articles if a.relevance_hint == "bilateral" for t in a.tags}
    for theme in ("military", "nuclear", "economy", "sanctions", "diplomacy", "treaty", "regional"):
        assert theme in themes
    stories = Counter(a.story_key for a in articles if a.story_key)
    assert max(stories.values()) >= 3


def test_syndicated_copies_differ_like_real_copies() -> None:
    copies = [
        (o.slug, a)
        for o in demo_outlets()
        for a in o.articles
        if a.story_key == "rasht-astara-loan"
    ]
    assert len({slug for slug, _ in copies}) == 3
    titles = {a.title for _, a in copies}
    assert len(titles) == 3
    assert any(a.title.endswith("– Tehran Wire") for _, a in copies)
    assert any(a.title.startswith("Tehran Wire:") for _, a in copies)
    lengths = sorted(len(a.body) for _, a in copies)
    assert lengths[0] < lengths[-1]  # trimmed paragraphs


def test_persian_text_has_zwnj_and_arabic_letter_variants() -> None:
    by_slug = {o.slug: o for o in demo_outlets()}
    aftab_text = " ".join(a.title + a.text for a in by_slug["aftab"].articles)
    pol_text = " ".join(a.title + a.text for a in by_slug["pol-media"].articles)
    assert ZWNJ in aftab_text
    assert ZWNJ in pol_text
    assert "ي" in aftab_text
    assert "ی" not in aftab_text
    assert "ك" in aftab_text
    assert "ی" in pol_text
    assert "ک" in pol_text
    assert "روسيه" in pol_text  # one headline typed with an Arabic yeh


@pytest.mark.parametrize(
    ("slug", "kind", "charset", "needle"),
    [
        ("tehran-wire", "rss", "utf-8", "Rasht–Astara"),
        ("global-dispatch", "atom", "utf-8", "Gazprom & NIGC"),
        ("eurasia-ledger", "rss1", "utf-8", "North–South"),
        ("vektor", "atom", "utf-8", "Россия и Иран договорились"),
        ("delovoy-kurier", "rss", "windows-1251", "«Вектор»: Москва и Тегеран"),
        ("delovoy-kurier", "rss1", "windows-1251", "Решт — Астара"),
        ("kaspiyskaya-pravda", "rss1", "koi8-r", "Газ пойдёт в Иран через Азербайджан"),
        ("aftab", "rss", "windows-1256", "نيروگاه اتمي بوشهر"),
        ("pol-media", "atom", "utf-8", "پیمان بیست" + ZWNJ + "ساله"),
    ],
)
def test_feeds_decode_in_their_charset(
    news_site: NewsSite, news_http: httpx.Client, slug: str, kind: str, charset: str, needle: str
) -> None:
    response = news_http.get(news_site.feed_url(slug, kind))  # type: ignore[arg-type]
    assert response.headers["Content-Type"].endswith(f"charset={charset}")
    assert response.content.startswith(f'<?xml version="1.0" encoding="{charset}"?>'.encode())
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert any(needle in e.title for e in parsed.entries)


def test_every_offered_kind_is_served_and_others_are_not(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    for outlet in news_site.outlets:
        for kind in ALL_FEED_KINDS:
            path = news_site.url(
                f"/{outlet.slug}/"
                + {
                    "rss": "rss.xml",
                    "rss1": "index.rdf",
                    "atom": "atom.xml",
                    "news_sitemap": "sitemap-news.xml",
                    "sitemap": "sitemap.xml",
                    "listing": "news/",
                }[kind]
            )
            status = news_http.get(path).status_code
            expected = 200 if outlet.offers(kind) or kind == "listing" else 404
            assert status == expected, (outlet.slug, kind)


def test_summary_only_and_full_content_entries(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    wire = feedparser.parse(news_http.get(news_site.feed_url("tehran-wire", "rss")).content)
    short = [e for e in wire.entries if "content" not in e]
    assert short
    assert all(len(e.summary) < 400 for e in short)
    dispatch = feedparser.parse(
        news_http.get(news_site.feed_url("global-dispatch", "atom")).content
    )
    assert all("content" in e for e in dispatch.entries)
    assert any(len(e.content[0].value) > 400 for e in dispatch.entries)


def test_script_in_title_is_escaped(news_site: NewsSite, news_http: httpx.Client) -> None:
    rss = news_http.get(news_site.feed_url("global-dispatch", "rss")).content
    assert b"<script>" not in rss
    titles = [e.title for e in feedparser.parse(rss).entries]
    assert any('<script>alert("xss")</script>' in t for t in titles)  # the text, for consumers
    page = news_http.get(news_site.article_url("global-dispatch", "caspian-summit-preview")).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_article_page_markup(news_site: NewsSite, news_http: httpx.Client) -> None:
    url = news_site.article_url("global-dispatch", "oil-gas-swap-deal")
    page = news_http.get(url).text
    assert f'<link rel="canonical" href="{url}">' in page
    assert '<meta property="og:title" content="Gazprom &amp; NIGC sign memorandum' in page
    assert re.search(r'<meta property="article:published_time" content="\d{4}-\d\d-\d\dT', page)
    amp_url = news_site.article_url("global-dispatch", "oil-gas-swap-deal", amp=True)
    assert f'<link rel="amphtml" href="{amp_url}">' in page
    for marker in (
        "cookie-banner",
        "share-twitter",
        "author-box",
        "related",
        "most-read",
        "site-footer",
        "read-also",
        "application/ld+json",
        "main-nav",
    ):
        assert marker in page, marker
    amp = news_http.get(amp_url).text
    assert amp.startswith('<!DOCTYPE html>\n<html ⚡ lang="en"')
    assert f'<link rel="canonical" href="{url}">' in amp
    assert "/amp/" in amp_url


def test_listing_page_autodiscovery_and_story_links(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    home = news_http.get(news_site.url("/global-dispatch/")).text
    assert (
        '<link rel="alternate" type="application/rss+xml" title="Global Dispatch — RSS" '
        f'href="{news_site.feed_url("global-dispatch", "rss")}">' in home
    )
    assert 'type="application/atom+xml"' in home
    listing = news_http.get(news_site.feed_url("global-dispatch", "listing")).text
    links = re.findall(r'<a class="story-link" href="([^"]+)"', listing)
    assert len(links) == len(news_site.outlet("global-dispatch").articles)
    assert all(news_http.get(news_site.url(link)).status_code == 200 for link in links[:3])


def test_persian_pages_are_rtl_with_jalali_dates(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    page = news_http.get(news_site.article_url("aftab", "razmayesh-khazar"))
    assert page.headers["Content-Type"] == "text/html; charset=windows-1256"
    text = html.unescape(page.content.decode("windows-1256"))  # digits are &#NNNN; there
    assert '<html lang="fa" dir="rtl">' in text
    assert '<meta charset="windows-1256">' in text
    assert "رزمايش مشترك" in text
    assert re.search(
        r"[۰-۹]+ (آذر|دي|بهمن|اسفند|فروردين|ارديبهشت|خرداد|تير|مرداد|شهريور|مهر|آبان) ۱۴", text
    )


def test_sitemaps_list_news_and_lastmod(news_site: NewsSite, news_http: httpx.Client) -> None:
    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "n": "http://www.google.com/schemas/sitemap-news/0.9",
    }
    news = ET.fromstring(news_http.get(news_site.feed_url("vektor", "news_sitemap")).content)
    urls = news.findall("s:url", ns)
    assert len(urls) == len(news_site.outlet("vektor").articles)
    first = urls[0]
    assert first.find("n:news/n:publication/n:language", ns).text == "ru"  # type: ignore[union-attr]
    assert first.find("n:news/n:publication_date", ns) is not None
    assert first.find("n:news/n:title", ns) is not None
    plain = ET.fromstring(news_http.get(news_site.feed_url("aftab", "sitemap")).content)
    assert all(u.find("s:lastmod", ns) is not None for u in plain.findall("s:url", ns)[1:])


def test_robots_disallows_private_which_serves_a_feed(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    robots = news_http.get(news_site.url("/robots.txt")).text
    assert "Disallow: /private/" in robots
    private = news_http.get(news_site.private_feed_url("tehran-wire"))
    assert private.status_code == 200
    assert feedparser.parse(private.content).entries


def test_feed_links_carry_tracking_parameters_where_configured(
    news_site: NewsSite, news_http: httpx.Client
) -> None:
    entries = feedparser.parse(news_http.get(news_site.feed_url("global-dispatch", "rss")).content)
    assert all("utm_source=rss" in e.link for e in entries.entries)


def test_source_configs(news_site: NewsSite) -> None:
    primary = news_site.source_configs()
    assert len(primary) == len(news_site.outlets)
    every = news_site.source_configs(kinds=ALL_FEED_KINDS)
    assert len({s.name for s in every}) == len(every)
    kinds = {(s.url.rsplit("/", 1)[-1] or "news/", s.kind) for s in every}
    assert ("index.rdf", "rss") in kinds
    assert ("sitemap-news.xml", "sitemap") in kinds
    listing = [s for s in every if s.kind == "listing"]
    assert listing
    assert all(s.selectors and s.selectors.article_links_css for s in listing)
    ru_only = news_site.source_configs(kinds=["rss1"], outlets=["kaspiyskaya-pravda"])
    assert [(s.kind, s.language) for s in ru_only] == [("rss", "ru")]


def test_generated_outlets_sizes_and_determinism() -> None:
    outlets = generate_outlets(n_outlets=20, items_per_feed=50, seed=1)
    assert len(outlets) == 20
    articles = [a for o in outlets for a in o.articles]
    assert len(articles) == 1000
    words = [len(a.text.split()) for a in articles]
    assert min(words) >= 300
    assert max(words) <= 800
    small = generate_outlets(n_outlets=2, items_per_feed=5, seed=1)
    again = generate_outlets(n_outlets=2, items_per_feed=5, seed=1)
    assert [a.text for o in again for a in o.articles] == [
        a.text for o in small for a in o.articles
    ]
    other = generate_outlets(n_outlets=2, items_per_feed=5, seed=2)
    assert [a.text for a in other[0].articles] != [a.text for a in small[0].articles]
    assert {a.relevance_hint for a in articles} == {"bilateral", "other"}


def test_generated_site_serves_all_pages(
    news_site_factory: object, news_http: httpx.Client
) -> None:
    site = news_site_factory(generate_outlets(n_outlets=3, items_per_feed=50, seed=3))  # type: ignore[operator]
    for outlet in site.outlets:
        kind = outlet.kinds[0]
        body = news_http.get(site.feed_url(outlet.slug, kind)).content
        if kind in ("rss", "atom", "rss1"):
            assert len(feedparser.parse(body).entries) == 50
        sitemap = ET.fromstring(news_http.get(site.feed_url(outlet.slug, "sitemap")).content)
        locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
        assert len(locs) == 51
    for loc in locs[1:]:
        assert news_http.get(loc or "").status_code == 200
