"""A would-be source's kind and language, read from its feed, sitemap or page (no network)."""

from __future__ import annotations

import dataclasses

import pytest

from monitor.collect.discover import read_document
from monitor.collect.source_language import language_tag, source_language
from monitor.newsite import demo_outlets
from monitor.newsite.render_feeds import render_atom, render_news_sitemap, render_rss, render_rss1
from monitor.newsite.render_pages import render_listing

BASE = "https://news.example"


def _outlet(slug: str, *, declares: bool = True):  # type: ignore[no-untyped-def]
    outlet = next(o for o in demo_outlets() if o.slug == slug)
    return dataclasses.replace(outlet, declares_language=declares)


@pytest.mark.parametrize(
    ("value", "tag"),
    [("fa-IR", "fa"), ("RU", "ru"), ("en_US", "en"), ("per", "fa"), ("", None), ("1-2", None)],
)
def test_language_tags(value: str, tag: str | None) -> None:
    assert language_tag(value) == tag


@pytest.mark.parametrize(
    ("slug", "render", "kind"),
    [
        ("aftab", render_rss, "rss"),
        ("pol-media", render_atom, "atom"),
        ("kaspiyskaya-pravda", render_rss1, "rss"),
    ],
)
def test_a_feed_declares_its_language(slug: str, render, kind: str) -> None:  # type: ignore[no-untyped-def]
    outlet = _outlet(slug)
    body = render(outlet, outlet.articles, BASE, "utf-8").encode()
    doc = read_document(body, url=f"{BASE}/feed", content_type="application/xml")
    assert doc.kind == kind
    assert doc.language.usable == outlet.language
    assert doc.language.how == "declared by the feed"


@pytest.mark.parametrize(
    ("slug", "render"),
    [("aftab", render_rss), ("vektor", render_atom), ("eurasia-ledger", render_rss1)],
)
def test_without_a_declaration_the_items_tell(slug: str, render) -> None:  # type: ignore[no-untyped-def]
    outlet = _outlet(slug, declares=False)
    body = render(outlet, outlet.articles, BASE, "utf-8").encode()
    assert b"language" not in body.lower()
    assert b"xml:lang" not in body
    doc = read_document(body, url=f"{BASE}/feed", content_type="application/xml")
    assert doc.language.usable == outlet.language
    assert doc.language.how.startswith("detected in ")
    assert doc.language.how.endswith(f"of {len(outlet.articles)} items")


def test_a_feed_in_another_language_is_named() -> None:
    body = b"""<rss version="2.0"><channel><title>Zeitung</title><language>de-DE</language>
      <item><title>Die Regierung und der Iran</title><link>https://z.example/1</link></item>
    </channel></rss>"""
    doc = read_document(body, url="https://z.example/rss")
    assert doc.language.code == "de"
    assert doc.language.usable is None
    assert "its language is 'de' (declared by the feed)" in doc.language.problem()


def test_a_news_sitemap_is_a_sitemap_with_its_language() -> None:
    outlet = _outlet("pol-media")
    body = render_news_sitemap(outlet, outlet.articles, BASE, "utf-8").encode()
    doc = read_document(body, url=f"{BASE}/sitemap-news.xml", content_type="text/xml")
    assert doc.kind == "sitemap"
    assert [f.kind for f in doc.feeds] == ["sitemap"]
    assert (doc.language.usable, doc.language.how) == ("fa", "declared by the sitemap")


def test_a_plain_sitemap_is_recognised() -> None:
    body = b"""<?xml version="1.0"?><!-- made by hand -->
    <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://s.example/a.xml</loc></sitemap></sitemapindex>"""
    doc = read_document(body, url="https://s.example/sitemap.xml")
    assert doc.kind == "sitemap"
    assert doc.language.usable is None
    assert "no headlines" in doc.language.problem()


@pytest.mark.parametrize("declares", [True, False])
def test_a_page_says_or_shows_its_language(declares: bool) -> None:
    outlet = _outlet("vektor", declares=declares)
    html = render_listing(outlet, outlet.articles, BASE, "utf-8", canonical_path="/vektor/")
    doc = read_document(html.encode(), url=f"{BASE}/vektor/", content_type="text/html")
    assert doc.kind is None
    assert doc.feeds  # the page announces its feeds
    assert doc.language.usable == "ru"
    assert doc.language.how == ("declared by the page" if declares else "detected in its text")


def test_declared_wins_over_detected() -> None:
    found = source_language(
        ["fa"], ["The government said on Monday that it was ready"] * 3, declared_by="the feed"
    )
    assert found.usable == "fa"
    nothing = source_language([None, ""], [], declared_by="the feed")
    assert nothing.code is None
    assert "no items" in nothing.how
