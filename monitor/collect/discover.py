"""What a fetched document says about the source it could become: a feed, a sitemap, or a site's
page that announces feeds (``<link rel="alternate">``), with its title and language.

:func:`read_document` reads one document; :func:`find_feed_links` reads the links from HTML;
:func:`feeds_in_document` returns the document itself when it is a feed or a sitemap, else the
feeds its HTML announces. Fetching is :mod:`spiders.discover` (Scrapy, same User-Agent,
robots.txt, size and time limits as a crawl).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin

from parsel import Selector

from monitor.collect.charset import decode_bytes
from monitor.collect.feeds import looks_like_html, parse_feed
from monitor.collect.sitemaps import parse_sitemap
from monitor.collect.source_language import SourceLanguage, source_language
from monitor.errors import FeedParseError, MonitorError
from monitor.urls import is_fetchable_link

SourceKind = Literal["rss", "atom", "sitemap"]

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/rdf+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "",  # JSON Feed: not supported
    "application/json": "",
}
# entries read to detect a language: enough for a majority, cheap to parse
SAMPLE_ENTRIES = 50
# the root element of a sitemap, after an optional prolog, comments and a namespace prefix
_SITEMAP_ROOT = re.compile(
    r"^(?:\s|<\?[^>]*\?>|<!--.*?-->)*<(?:\w+:)?(urlset|sitemapindex)\b", re.S
)


class DiscoveryError(MonitorError):
    """The page could not be fetched."""


@dataclass(frozen=True)
class DiscoveredFeed:
    url: str
    kind: str  # rss | atom | sitemap
    title: str | None = None


@dataclass(frozen=True)
class Document:
    """One fetched document: a feed or sitemap (``kind`` set; ``feeds`` is itself) or an HTML
    page (``kind`` None; ``feeds`` are the ones it announces)."""

    url: str
    kind: SourceKind | None
    title: str | None
    language: SourceLanguage
    feeds: list[DiscoveredFeed] = field(default_factory=list)


def find_feed_links(html: str, *, page_url: str) -> list[DiscoveredFeed]:
    """Feeds announced by ``<link rel="alternate" type="application/(rss|atom)+xml">``, in order."""
    return _feed_links(Selector(text=html or "<html></html>", type="html"), page_url)


def _feed_links(sel: Selector, page_url: str) -> list[DiscoveredFeed]:
    base = sel.xpath("//base/@href").get()
    base_url = urljoin(page_url, base) if base else page_url
    out: list[DiscoveredFeed] = []
    seen: set[str] = set()
    for link in sel.xpath("//link[@href]"):
        rel = (link.attrib.get("rel") or "").lower().split()
        kind = FEED_TYPES.get((link.attrib.get("type") or "").split(";")[0].strip().lower(), "")
        if "alternate" not in rel or not kind:
            continue
        url = urljoin(base_url, link.attrib["href"].strip())
        if not is_fetchable_link(url) or url in seen:
            continue
        seen.add(url)
        title = " ".join((link.attrib.get("title") or "").split()) or None
        out.append(DiscoveredFeed(url=url, kind=kind, title=title))
    return out


def feeds_in_document(body: bytes, *, url: str, content_type: str = "") -> list[DiscoveredFeed]:
    """The feed or sitemap itself when ``body`` is one, else the feeds its HTML links to."""
    return read_document(body, url=url, content_type=content_type).feeds


def read_document(body: bytes, *, url: str, content_type: str = "") -> Document:
    """What ``body`` (fetched from ``url``) is, what it is called and what language it is in."""
    text, _ = decode_bytes(body, content_type)
    if not looks_like_html(text) and "html" not in content_type.lower():
        if _SITEMAP_ROOT.match(text[:4096]):
            document = _sitemap(body, url)
        else:
            document = _feed(body, url, content_type, text)
        if document is not None:
            return document
    return _page(text, url)


def _sitemap(body: bytes, url: str) -> Document | None:
    try:
        parsed = parse_sitemap(body, sitemap_url=url, max_entries=SAMPLE_ENTRIES)
    except FeedParseError:
        return None
    language = source_language(
        (e.language for e in parsed.entries),
        [e.title for e in parsed.entries],
        declared_by="the sitemap",
        unit=("headline", "headlines"),
    )
    return Document(url, "sitemap", None, language, [DiscoveredFeed(url, "sitemap")])


def _feed(body: bytes, url: str, content_type: str, text: str) -> Document | None:
    try:
        parsed = parse_feed(
            body, feed_url=url, content_type=content_type, max_entries=SAMPLE_ENTRIES
        )
    except FeedParseError:
        return None
    kind: SourceKind = "atom" if "<feed" in text[:2000] else "rss"
    language = source_language(
        [parsed.language],
        [f"{e.title}\n{e.summary or e.text}" for e in parsed.entries],
        declared_by="the feed",
    )
    title = parsed.title or None
    return Document(url, kind, title, language, [DiscoveredFeed(url, kind, title)])


def _page(html: str, url: str) -> Document:
    sel = Selector(text=html or "<html></html>", type="html")
    declared = [
        sel.xpath("/html/@lang").get(),
        sel.xpath("/html/@xml:lang").get(),
        sel.xpath(
            "//meta[@http-equiv][translate(@http-equiv, 'CL', 'cl')='content-language']/@content"
        ).get(),
    ]
    words = sel.xpath(
        "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"
    ).getall()
    language = source_language(
        declared,
        [" ".join(" ".join(words).split())],
        declared_by="the page",
        unit=("text", "texts"),
    )
    title = " ".join(" ".join(sel.xpath("//title//text()").getall()).split()) or None
    return Document(url, None, title, language, _feed_links(sel, url))
