"""Feed parsing: RSS 0.9x/1.0/2.0 and Atom bytes → :class:`ParsedFeed`. feedparser stays in here
(and in :mod:`monitor.collect.feed_base`, which knows how it resolves URIs).

Steps: refuse DTD/entity declarations (:mod:`monitor.collect.xmlsafety`); decode the bytes with
:func:`monitor.collect.charset.decode_bytes` (declared charsets are often wrong); hand feedparser
UTF-8, first without the feed URL, and again with it as ``content-location`` (so that relative
links resolve) unless :mod:`monitor.collect.feed_base` finds that it cannot change what we read
(the quicker parse then reads the same); then turn every entry into a :class:`FeedEntry` (plain
text, absolute http(s) URL, UTC date with a quality flag).

Text: a title is text unless the feed says it is HTML (Atom ``type="html"``/``"xhtml"``; RSS
says nothing, so a title reads as HTML only when it looks like markup, see
:func:`monitor.collect.text.looks_like_markup`); RSS descriptions and ``content:encoded`` are
HTML, Atom content follows its ``type``. HTML becomes text with
:func:`monitor.collect.text.convert_html` (feedparser's own sanitiser is off: nothing but text
is kept, so it has nothing to add and would only lose words).

An entry without an http(s) link (RSS 2.0 allows an item with only a title or a description) is
kept without one (``url=""``): it is identified by its GUID, else by its title and text. A link
that is not http(s) (``javascript:``, ``data:``, ``mailto:``) is dropped and the entry kept.
An entry with no link, no title and no text is skipped.

Outcomes: entries plus warnings (a malformed feed whose entries could be recovered keeps them and
says so); :class:`FeedParseError` when nothing usable is there (HTML page instead of a feed,
unparseable XML). A valid feed with no entries is not an error (a warning is returned).
"""

from __future__ import annotations

import logging
import re
import time
import warnings as py_warnings
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from monitor.collect.charset import decode_bytes
from monitor.collect.dates import DateContext, judge_date, unread_date_text
from monitor.collect.feed_base import (
    base_may_matter,
    ids_may_resolve,
    markup_may_show_uris,
    uris_resolve_to_themselves,
)
from monitor.collect.records import FeedEntry, ParsedFeed
from monitor.collect.text import Converted, clean_line, clean_text, convert_html, title_text
from monitor.collect.xmlsafety import check_xml_safe
from monitor.errors import FeedParseError
from monitor.urls import is_fetchable_link

log = logging.getLogger(__name__)

_XML_DECL_ENCODING = re.compile(r"^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*[\"'][^\"']*[\"']", re.I)
_HTML_START = re.compile(r"^\s*(<!DOCTYPE\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.I)

# feedparser's own sanitiser may resolve odd character references to these; we store text only
MAX_TITLE = 1000
MAX_SUMMARY = 20_000
MAX_TEXT = 500_000


_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _valid_xml_char(cp: int) -> bool:
    return (
        cp in (0x9, 0xA, 0xD)
        or 0x20 <= cp <= 0xD7FF
        or 0xE000 <= cp <= 0xFFFD
        or 0x10000 <= cp <= 0x10FFFF
    )


def drop_bad_char_refs(text: str) -> str:
    """Remove character references to code points XML forbids (NUL, surrogates, > U+10FFFF):
    parsers raise on them, and they carry no text."""

    def repl(m: re.Match[str]) -> str:
        cp = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        return m.group(0) if _valid_xml_char(cp) else ""

    return _CHAR_REF.sub(repl, text) if "&#" in text else text


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text[:2048]))


def parse_feed(
    body: bytes,
    *,
    feed_url: str,
    content_type: str = "",
    max_entries: int = 500,
    now: datetime | None = None,
    dates: DateContext | None = None,
) -> ParsedFeed:
    """Parse feed bytes. Raises :class:`FeedParseError` (or its subclass ``UnsafeDocumentError``)."""
    if not body.strip():
        raise FeedParseError(f"feeds: {feed_url} returned an empty body; check the feed URL")
    check_xml_safe(body, what=feed_url)
    text, codec = decode_bytes(body, content_type)
    text = text.replace("\x00", "")
    if looks_like_html(text):
        raise FeedParseError(
            f"feeds: {feed_url} is an HTML page, not a feed; use `monitor sources add` on the "
            "site to find its feed, or kind: listing"
        )
    text = drop_bad_char_refs(text)
    if codec not in ("utf-8", "ascii"):
        log.debug("Feed decoded url=%s codec=%s", feed_url, codec)
    utf8 = _XML_DECL_ENCODING.sub(r"\1", text, count=1).encode("utf-8", "replace")
    # without its base URI feedparser parses faster; parse again with it when it could matter
    with_base = base_may_matter(utf8, feed_url)
    parsed = _feedparser(utf8, feed_url=feed_url, with_base=with_base)
    if not with_base and _base_may_show(parsed, utf8, feed_url=feed_url, max_entries=max_entries):
        with_base = True
        parsed = _feedparser(utf8, feed_url=feed_url, with_base=True)

    def read(parsed: Any) -> tuple[ParsedFeed, bool]:
        return _read(parsed, feed_url=feed_url, max_entries=max_entries, now=now, dates=dates)

    feed, markup_warned = read(parsed)
    if markup_warned and not with_base:  # a warning quotes the markup, URI attributes and all
        feed, _ = read(_feedparser(utf8, feed_url=feed_url, with_base=True))
    return feed


def _feedparser(utf8: bytes, *, feed_url: str, with_base: bool) -> Any:
    """feedparser's reading of UTF-8 feed bytes, relative URIs resolved against ``feed_url``
    when ``with_base`` (see :mod:`monitor.collect.feed_base`)."""
    headers = {"content-type": "application/xml; charset=utf-8"}
    if with_base:
        headers["content-location"] = feed_url
    try:
        return feedparser.parse(utf8, response_headers=headers, sanitize_html=False)
    except Exception as exc:  # feedparser raises odd errors on odd character references
        raise FeedParseError(
            f"feeds: {feed_url} could not be parsed: {type(exc).__name__}: {exc}"
        ) from None


def _is_typed(parsed: Any) -> bool:
    return str(parsed.get("version") or "").startswith("atom")


def _base_may_show(parsed: Any, document: bytes, *, feed_url: str, max_entries: int) -> bool:
    """Whether a parse without the base URI may read differently from one with it."""
    channel = parsed.get("feed") or {}
    entries = list(parsed.get("entries") or [])[:max_entries]
    ids = ids_may_resolve(document)
    if not uris_resolve_to_themselves(channel, entries, feed_url, ids=ids):
        return True
    return markup_may_show_uris(channel, entries, typed=_is_typed(parsed))


def _read(
    parsed: Any,
    *,
    feed_url: str,
    max_entries: int,
    now: datetime | None,
    dates: DateContext | None,
) -> tuple[ParsedFeed, bool]:
    """The feed that feedparser read; and whether markup gave no text somewhere."""
    warnings: list[str] = []
    entries_raw = list(parsed.get("entries") or [])
    if parsed.get("bozo"):
        reason = str(parsed.get("bozo_exception") or "malformed XML")[:300]
        if not entries_raw and not parsed.get("version"):
            raise FeedParseError(f"feeds: {feed_url} is not a readable feed: {reason}")
        warnings.append(f"malformed feed, recovered {len(entries_raw)} entries: {reason}")
    if not parsed.get("version") and not entries_raw:
        raise FeedParseError(f"feeds: {feed_url} is not an RSS or Atom feed")
    if not entries_raw:
        warnings.append("feed has no entries")
    channel = parsed.get("feed") or {}
    base = str(channel.get("link") or feed_url)
    typed = _is_typed(parsed)
    notes = _Notes()
    entries: list[FeedEntry] = []
    with py_warnings.catch_warnings():
        # feedparser warns when `updated*` falls back to `published*`; we ask for both
        py_warnings.simplefilter("ignore", DeprecationWarning)
        for raw in entries_raw[:max_entries]:
            try:
                entry = _to_entry(
                    raw,
                    feed_url=feed_url,
                    base=base,
                    now=now,
                    dates=dates,
                    typed=typed,
                    notes=notes,
                )
            except Exception as exc:  # one odd entry never loses the others
                warnings.append(f"entry skipped: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            if entry is not None:
                entries.append(entry)
    title = _title(channel.get("title"), channel.get("title_detail"), typed=typed)
    notes.text("feed title", title)
    feed = ParsedFeed(
        title=title.text[:MAX_TITLE],
        entries=entries,
        warnings=warnings + notes.lines(),
        link=str(channel.get("link") or ""),
        language=clean_line(str(channel.get("language") or ""))[:35],
    )
    return feed, notes.markup_count > 0


class _Notes:
    """Warnings about entries, counted so that a feed of 500 odd entries gives a few lines."""

    def __init__(self) -> None:
        self.empty = 0
        self.no_link = 0
        self.bad_link = 0
        self.markup: list[str] = []
        self.markup_count = 0

    def text(self, where: str, converted: Converted) -> None:
        if converted.warning:
            self.markup_count += 1
            if len(self.markup) < 3:
                self.markup.append(f"{where}: {converted.warning}")

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.no_link:
            out.append(f"{self.no_link} entries without an http(s) link were kept without one")
        if self.bad_link:
            out.append(
                f"{self.bad_link} entries had a link that is not http(s) (javascript:, data:, "
                "mailto: …): the link was dropped, the entry kept"
            )
        if self.empty:
            out.append(f"{self.empty} entries without a link, a title or text were skipped")
        out += self.markup
        if self.markup_count > len(self.markup):
            out.append(f"… and {self.markup_count - len(self.markup)} more entries like that")
        return out


def _is_html(detail: Any, *, typed: bool) -> bool | None:
    """What the feed says about a text construct: True (HTML), False (text), None (nothing)."""
    if not typed:
        return None
    kind = str((detail or {}).get("type") or "text/plain")
    return "html" in kind


def _title(value: Any, detail: Any, *, typed: bool) -> Converted:
    return title_text(str(value or ""), is_html=_is_html(detail, typed=typed))


def _body(value: Any, detail: Any, *, typed: bool) -> Converted:
    """RSS descriptions and content are HTML; Atom says which it is."""
    raw = str(value or "")
    says = _is_html(detail, typed=typed)
    if says is False or (says is None and "<" not in raw and "&" not in raw):
        return Converted(clean_text(raw))
    return convert_html(raw)


def _pick_link(raw: Any, feed_url: str, base: str) -> str | None:
    """The entry's http(s) link; None when it has none, "" when it has only unusable ones."""
    candidates: list[str] = []
    if raw.get("link"):
        candidates.append(str(raw["link"]))
    for link in raw.get("links") or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            candidates.append(str(link["href"]))
    guid = raw.get("id")
    if guid and raw.get("guidislink", False):
        candidates.append(str(guid))
    for cand in candidates:
        url = urljoin(base if base.startswith("http") else feed_url, cand.strip())
        if is_fetchable_link(url):
            return url
    return "" if any(c.strip() for c in candidates) else None


def _to_entry(
    raw: Any,
    *,
    feed_url: str,
    base: str,
    now: datetime | None,
    dates: DateContext | None,
    typed: bool,
    notes: _Notes,
) -> FeedEntry | None:
    # a plain dict reads faster; the keys asked for are feedparser's own names, which its
    # dict's aliases (and its `updated` → `published` fallback, asked for last) do not change
    raw = dict(raw)
    link = _pick_link(raw, feed_url, base)
    title_c = _title(raw.get("title"), raw.get("title_detail"), typed=typed)
    summary_c = _body(raw.get("summary"), raw.get("summary_detail"), typed=typed)
    contents = raw.get("content") or []
    text_c = Converted("")
    if contents:
        best = max(contents, key=lambda c: len(str(c.get("value") or "")))
        text_c = _body(best.get("value"), best, typed=typed)
    title, summary, text = title_c.text[:MAX_TITLE], summary_c.text, text_c.text
    if not link and not title and not summary and not text:
        notes.empty += 1
        return None
    if link is None:
        notes.no_link += 1
    elif link == "":
        notes.bad_link += 1
    where = f"entry {title[:60]!r}" if title else f"entry {str(raw.get('id') or '')[:80]!r}"
    for part, converted in (("title", title_c), ("summary", summary_c), ("content", text_c)):
        notes.text(f"{where} {part}", converted)
    if text and summary == text:
        summary = ""
    published_parsed = raw.get("published_parsed") or raw.get("updated_parsed")
    published_raw = raw.get("published") or raw.get("updated")
    # the text first: feedparser reads a bare time as today and rolls impossible dates over
    value: time.struct_time | str | None = published_raw or published_parsed
    published_at, quality = judge_date(value, now=now, context=dates)
    guid = raw.get("id")
    author = clean_line(str(raw.get("author") or "")) or None
    language = raw.get("language") or None
    return FeedEntry(
        url=link or "",
        title=title,
        guid=clean_line(str(guid))[:2000] if guid else None,
        summary=summary[:MAX_SUMMARY],
        text=text[:MAX_TEXT],
        author=author[:300] if author else None,
        language=str(language)[:8] if language else None,
        published_at=published_at,
        date_quality=quality,
        date_text=unread_date_text(value, quality),
        arrived_via="feed",
    )
