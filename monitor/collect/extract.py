"""Full-text extraction from article pages: main text, title, author, date. trafilatura stays here.

Before extraction, blocks that are boilerplate on almost every news site are pruned by class or
id (share/social bars, author boxes and bios, "read also", related and most-read lists, tag lists,
breadcrumbs, newsletter and cookie banners, adverts) — generic rules, no per-site parser. After
extraction, a first line repeating the headline is dropped. Bytes are decoded with
:func:`monitor.collect.charset.decode_bytes`, so a wrong ``charset`` does not garble the text.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from monitor.collect.charset import decode_bytes
from monitor.collect.dates import DateContext, judge_date
from monitor.collect.records import ArticleRecord
from monitor.collect.text import clean_line, clean_text

log = logging.getLogger(__name__)

_BOILERPLATE_WORDS = (
    "share",
    "social",
    "author-box",
    "author-bio",
    "authorbox",
    "author-info",
    "about-author",
    "read-also",
    "readalso",
    "see-also",
    "related",
    "most-read",
    "mostread",
    "popular",
    "breadcrumb",
    "newsletter",
    "subscribe",
    "cookie",
    "ad-slot",
    "advert",
    "promo",
    "ticker",
    "byline",
    "tags",
    "comments",
)
PRUNE_XPATH = [
    "//*["
    + " or ".join(
        f"contains(concat(' ', normalize-space(@class), ' '), '{w}') or contains(@id, '{w}')"
        for w in _BOILERPLATE_WORDS
    )
    + "]",
    "//nav",
    "//aside",
    "//footer",
    "//form",
]
DATE_PARAMS = {
    "extensive_search": False,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
MAX_PAGE_CHARS = 3_000_000
# trafilatura drops non-printable characters, among them the zero-width non-joiner that Persian
# spelling needs (می‌دانیم); it is carried through extraction as a printable stand-in
ZWNJ, ZWNJ_STAND_IN = "\u200c", "\u2042"


def _as_document(text: str) -> Any:
    try:
        return lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


_META_DATE_XPATH = (
    "//meta[@property='article:published_time' or @name='article:published_time' "
    "or @itemprop='datePublished' or @name='pubdate' or @name='publish-date']/@content"
)


def _meta_date(tree: Any) -> str | None:
    """The full publication timestamp from page metadata (trafilatura keeps only the day)."""
    try:
        values = tree.xpath(_META_DATE_XPATH)
    except etree.XPathError:
        return None
    return str(values[0]).strip() or None if values else None


def extract_article(
    body: bytes,
    *,
    url: str,
    content_type: str = "",
    now: datetime | None = None,
    fast: bool = True,
    dates: DateContext | None = None,
) -> ArticleRecord | None:
    """The article on the page, or ``None`` when no main text could be found. Never raises."""
    text, _codec = decode_bytes(body[:MAX_PAGE_CHARS], content_type)
    text = text.replace("\x00", "")
    protect = ZWNJ in text and ZWNJ_STAND_IN not in text
    if protect:
        text = text.replace(ZWNJ, ZWNJ_STAND_IN)
    tree = _as_document(text)
    if tree is None:
        return None
    meta_date = _meta_date(tree)
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            fast=fast,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            with_metadata=True,
            deduplicate=False,
            prune_xpath=PRUNE_XPATH,
            date_extraction_params=DATE_PARAMS,
        )
    except Exception as exc:  # extraction libraries raise on odd pages; never lose the run
        log.warning("Extraction failed url=%s error=%s", url, exc)
        return None
    if doc is None:
        return None
    data: dict[str, Any] = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    if protect:
        data = {
            k: v.replace(ZWNJ_STAND_IN, ZWNJ) if isinstance(v, str) else v for k, v in data.items()
        }
    title = clean_line(str(data.get("title") or ""))  # the page's title is text
    main = clean_text(str(data.get("text") or ""))
    if not main:
        return None
    lines = main.split("\n")
    while lines and title and clean_line(lines[0]).casefold() == title.casefold():
        lines.pop(0)
    main = clean_text("\n".join(lines))
    published_at, quality = judge_date(
        meta_date or data.get("date") or None, now=now, context=dates
    )
    author = clean_line(str(data.get("author") or "")) or None
    language = data.get("language") or None
    return ArticleRecord(
        url=url,
        text=main,
        title=title,
        author=author[:300] if author else None,
        published_at=published_at,
        date_quality=quality,
        language=str(language)[:8] if language else None,
    )
