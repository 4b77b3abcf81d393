"""Listing pages (section fronts): article links by configured selectors or a default heuristic.

With ``SourceConfig.selectors``: the CSS selector (or else the XPath) names the ``<a>`` elements of
articles. Without: a link counts as an article when all of these hold —

1. it resolves to an http(s) URL on the listing page's own site (``www.``/``m.`` ignored);
2. it is not inside ``<nav>``, ``<header>``, ``<footer>`` or ``<aside>``;
3. its path looks like an article: a ``/YYYY/MM/`` date, a number of 4+ digits, an ``.html``-like
   ending, or a final segment of at least three hyphen/underscore-joined words;
4. its path does not name a section, tag, author, search, login or feed page;
5. its text (or ``title``) has at least 3 words or 20 characters.

Relative links are resolved against the page URL (and ``<base href>``); ``javascript:``,
``data:`` and ``mailto:`` links are rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from monitor.collect.charset import decode_bytes
from monitor.collect.records import FeedEntry
from monitor.collect.text import clean_line
from monitor.config import ListingSelectors
from monitor.urls import canonicalize_url, is_fetchable_link


@dataclass(frozen=True, slots=True)
class ListingLink:
    url: str
    title: str


_DATE_PATH = re.compile(r"/(19|20)\d\d/[01]?\d(/|$)|/(19|20)\d\d-[01]\d-[0-3]\d")
_LONG_NUMBER = re.compile(r"\d{4,}")
_ARTICLE_END = re.compile(r"\.(s?html?|php|aspx?)$", re.I)
_SLUG = re.compile(r"^[^/]*\w[-_]\w+[-_]\w+")
_NOT_ARTICLE = re.compile(
    r"/(tags?|topics?|category|categories|section|author|authors|people|search|login|signin|"
    r"register|subscribe|about|contact|privacy|terms|feed|rss|atom|page|archive)(/|$|\.)",
    re.I,
)
_EXCLUDED_ANCESTORS = "ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside"


def _site(host: str | None) -> str:
    host = (host or "").lower()
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    return host


def looks_like_article_url(url: str, page_url: str) -> bool:
    parts = urlsplit(url)
    page = urlsplit(page_url)
    if _site(parts.hostname) != _site(page.hostname) or parts.port != page.port:
        return False
    path = parts.path or "/"
    if _NOT_ARTICLE.search(path):
        return False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return bool(
        _DATE_PATH.search(path)
        or _LONG_NUMBER.search(path)
        or _ARTICLE_END.search(last)
        or _SLUG.match(last)
    )


def extract_listing_links(
    html: str, *, page_url: str, selectors: ListingSelectors | None = None, limit: int = 500
) -> list[ListingLink]:
    """Article links of a listing page, in page order, without duplicates (by canonical URL)."""
    sel = Selector(text=html or "<html></html>", type="html")
    base = sel.xpath("//base/@href").get()
    base_url = urljoin(page_url, base) if base else page_url
    configured = selectors is not None and (
        selectors.article_links_css or selectors.article_links_xpath
    )
    if selectors is not None and selectors.article_links_css:
        anchors = sel.css(selectors.article_links_css)
    elif selectors is not None and selectors.article_links_xpath:
        anchors = sel.xpath(selectors.article_links_xpath)
    else:
        anchors = sel.xpath(f"//a[@href][not({_EXCLUDED_ANCESTORS})]")
    out: list[ListingLink] = []
    seen: set[str] = {canonicalize_url(page_url)}
    for a in anchors:
        href = (a.attrib.get("href") or "").strip()
        if not href:
            # a selector may point at a container: take its first link
            href = (a.xpath(".//a/@href").get() or "").strip()
        if not href or href.lower().startswith(("javascript:", "data:", "mailto:", "#")):
            continue
        url = urljoin(base_url, href)
        if not is_fetchable_link(url):
            continue
        title = clean_line(" ".join(a.xpath(".//text()").getall())) or clean_line(
            a.attrib.get("title", "")
        )
        if not configured:
            if not looks_like_article_url(url, page_url):
                continue
            if len(title.split()) < 3 and len(title) < 20:
                continue
        key = canonicalize_url(url)
        if key in seen:
            continue
        seen.add(key)
        out.append(ListingLink(url=url, title=title[:1000]))
        if len(out) >= limit:
            break
    return out


def parse_listing(
    body: bytes,
    *,
    page_url: str,
    content_type: str = "",
    css: str | None = None,
    xpath: str | None = None,
    limit: int = 500,
) -> list[FeedEntry]:
    """A listing page's bytes → its article links as entries (``arrived_via="listing"``), by the
    source's selectors (``css``, else ``xpath``) or, without them, by the default heuristic."""
    html, _ = decode_bytes(body, content_type)
    selectors = None
    if css or xpath:
        selectors = ListingSelectors(article_links_css=css, article_links_xpath=xpath)
    links = extract_listing_links(html, page_url=page_url, selectors=selectors, limit=limit)
    return [FeedEntry(url=link.url, title=link.title, arrived_via="listing") for link in links]
