"""Sitemaps: ``urlset`` (plain, with ``lastmod``; Google News ``news:`` extension) and
``sitemapindex`` → entries / child sitemap URLs. lxml stays in here.

Only entries newer than ``since`` (the source's last successful crawl) are returned; an entry with
no date at all is returned too (the "known before fetched" check filters it cheaply). The newest
date seen is reported so the next crawl can start from it. XML with DTD/entity declarations is
refused first; broken XML is parsed in recovery mode and the recovered entries are kept with a
warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from lxml import etree

from monitor.collect.dates import DateContext, judge_date, unread_date_text
from monitor.collect.records import FeedEntry
from monitor.collect.text import clean_line, title_text
from monitor.collect.xmlsafety import check_xml_safe
from monitor.errors import FeedParseError
from monitor.urls import is_fetchable_link


@dataclass(frozen=True, slots=True)
class ParsedSitemap:
    entries: list[FeedEntry]
    child_sitemaps: list[str]
    newest: datetime | None
    warnings: list[str] = field(default_factory=list)
    total: int = 0  # entries in the document before the ``since`` filter


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(el: etree._Element, name: str) -> str:
    for child in el:
        if _local(child.tag) == name:
            return clean_line(child.text or "")
    return ""


def _find(el: etree._Element, name: str) -> etree._Element | None:
    for child in el.iter():
        if _local(child.tag) == name:
            return child
    return None


def parse_sitemap(
    body: bytes,
    *,
    sitemap_url: str,
    since: datetime | None = None,
    max_entries: int = 500,
    now: datetime | None = None,
    dates: DateContext | None = None,
) -> ParsedSitemap:
    """Parse sitemap bytes; raises :class:`FeedParseError` when it is not a sitemap at all."""
    if not body.strip():
        raise FeedParseError(f"sitemaps: {sitemap_url} returned an empty body")
    check_xml_safe(body, what=sitemap_url)
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    warnings: list[str] = []
    try:
        root = etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise FeedParseError(f"sitemaps: {sitemap_url} is not readable XML: {exc}") from None
    if root is None:
        raise FeedParseError(f"sitemaps: {sitemap_url} is not readable XML")
    if parser.error_log and len(parser.error_log):
        first = parser.error_log[0]
        warnings.append(
            f"malformed sitemap, recovered what could be read: line {first.line}: {first.message}"
        )
    kind = _local(root.tag)
    if kind == "html":
        raise FeedParseError(f"sitemaps: {sitemap_url} is an HTML page, not a sitemap")
    if kind not in ("urlset", "sitemapindex"):
        raise FeedParseError(f"sitemaps: {sitemap_url} is not a sitemap (root <{kind}>)")
    entries: list[FeedEntry] = []
    children: list[str] = []
    newest: datetime | None = None
    total = 0
    for el in root:
        name = _local(el.tag)
        if name not in ("url", "sitemap"):
            continue
        loc = urljoin(sitemap_url, _child_text(el, "loc"))
        if not is_fetchable_link(loc):
            continue
        total += 1
        lastmod_at, _ = judge_date(_child_text(el, "lastmod") or None, now=now, context=dates)
        news = _find(el, "news")
        title = ""
        language = None
        published_at, quality = None, "missing"
        date_text = None
        if news is not None:
            # text, unless it plainly is markup (news:title says nothing about its type)
            title = title_text(_child_text(news, "title")).text
            stated = _child_text(news, "publication_date") or None
            published_at, quality = judge_date(stated, now=now, context=dates)
            date_text = unread_date_text(stated, quality)
            pub = _find(news, "publication")
            if pub is not None:
                language = _child_text(pub, "language")[:8] or None
        stamp = published_at or lastmod_at
        if stamp is not None and (newest is None or stamp > newest):
            newest = stamp
        if since is not None and stamp is not None and stamp <= since:
            continue
        if name == "sitemap":
            children.append(loc)
            continue
        if len(entries) >= max_entries:
            continue
        entries.append(
            FeedEntry(
                url=loc,
                title=title[:1000],
                language=language,
                published_at=published_at,
                date_quality=quality,  # type: ignore[arg-type]
                date_text=date_text,
                arrived_via="sitemap",
            )
        )
    return ParsedSitemap(entries, children, newest, warnings, total)
