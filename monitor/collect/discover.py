"""Feed autodiscovery: a site's page → its RSS/Atom feeds (``<link rel="alternate">``).

:func:`find_feed_links` reads the links from HTML; :func:`feeds_in_document` returns the
document itself when it is a feed, else the feeds its HTML announces. Fetching the page is
:func:`spiders.discover.discover_feeds` (Scrapy, same User-Agent, robots.txt, size and time
limits as a crawl).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from parsel import Selector

from monitor.collect.charset import decode_bytes
from monitor.collect.feeds import looks_like_html, parse_feed
from monitor.errors import FeedParseError, MonitorError
from monitor.urls import is_fetchable_link

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/rdf+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "",  # JSON Feed: not supported
    "application/json": "",
}


class DiscoveryError(MonitorError):
    """The page could not be fetched."""


@dataclass(frozen=True)
class DiscoveredFeed:
    url: str
    kind: str  # rss | atom
    title: str | None = None


def find_feed_links(html: str, *, page_url: str) -> list[DiscoveredFeed]:
    """Feeds announced by ``<link rel="alternate" type="application/(rss|atom)+xml">``, in order."""
    sel = Selector(text=html or "<html></html>", type="html")
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
    """The feed itself when ``body`` is a feed, else the feeds its HTML links to."""
    text, _ = decode_bytes(body, content_type)
    if not looks_like_html(text) and "html" not in content_type.lower():
        try:
            parsed = parse_feed(body, feed_url=url, content_type=content_type, max_entries=1)
        except FeedParseError:
            pass
        else:
            kind = "atom" if "<feed" in text[:2000] else "rss"
            return [DiscoveredFeed(url=url, kind=kind, title=parsed.title or None)]
    return find_feed_links(text, page_url=url)
