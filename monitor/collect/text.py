"""Turning scraped markup into plain text that is safe to store.

What is stored is always plain text. Two kinds of input:

- **text** (a feed title that the feed does not mark as HTML, a sitemap ``news:title``, the text
  of a link): kept as it is — ``<`` and ``&`` are characters like any other, so "Use <script>
  tags" stays "Use <script> tags" (pages and emails escape it when they show it). Only control
  characters go and whitespace is collapsed (:func:`clean_line`, :func:`clean_text`).
- **HTML** (descriptions, ``content:encoded``, Atom ``type="html"``): :func:`html_to_text`. The
  bodies of ``<script>``, ``<style>``, ``<noscript>``, ``<template>``, ``<iframe>``, ``<object>``
  and ``<svg>`` are dropped; every other word is kept. Block elements become paragraph breaks,
  ``<br>`` and list items line breaks; list items get a bullet (``•``) or their number, ``<q>``
  its quotation marks, table cells a space between them. On one line (``single_line=True``),
  list items are joined with "; " and no space is put before a comma or full stop. Entities are
  resolved. There is no nesting limit, and an element that is never closed (``<plaintext>``, a
  stray ``<script>``) cannot swallow the rest: a dropped element left open at the end is given
  back as text.

:func:`convert_html` also says when non-empty input gave no text at all (only scripts, styles
or empty tags), so the caller can record a warning; :func:`html_to_text` logs that warning.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from html import unescape
from html.entities import html5
from html.parser import HTMLParser

log = logging.getLogger(__name__)

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# runs of white space, each to become one space; a lone space (nothing to replace) is not matched,
# which spares the replacement at every word of running text
_SPACES = re.compile(r" [ \t\r\f\v\u00a0]+|[\t\r\f\v\u00a0][ \t\r\f\v\u00a0]*")
_BLANKS = re.compile(r"\n\s*\n+")
_HTML_SPACE = re.compile(r" [ \t\n\r\f]+|[\t\n\r\f][ \t\n\r\f]*")
# what each of the two patterns above needs to match at all (text without any is left as it is,
# and looking for them is quicker than a search that finds nothing)
_SPACES_NEED = ("  ", "\t", "\r", "\f", "\v", "\u00a0")
_HTML_SPACE_NEED = ("  ", "\t", "\n", "\r", "\f")
_PUNCT_START = re.compile(r"^[,.;:!?)\]}»”’]")
_ENDS_WITH_STOP = re.compile(r"[,.;:!?]\s*$")

DROP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg"})
_PARAGRAPH = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "details",
        "dialog",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
        "caption",
        "summary",
        "title",
    }
)
_LINE = frozenset({"br", "li", "dt", "dd", "tr", "option"})
_CELL = frozenset({"td", "th"})
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
# elements that mark a title up rather than spell out code ("Use <script> tags")
_TITLE_MARKUP = frozenset(
    "a abbr acronym b bdi bdo big blockquote br cite code dd del dfn div dl dt em font h1 h2 h3 "
    "h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span strike strong sub sup time "
    "tt u ul var wbr".split()
)
_CLOSE_TAG = re.compile(r"</[A-Za-z][A-Za-z0-9]*\s*>")
_CHAR_REF = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
# a tag without attributes, in lower case (``<p>``, ``</p>``, ``<br>``): most feed HTML has no other
_BARE_TAG = re.compile(r"<(/?)([a-z][a-z0-9]*)>")
_CDATA_CONTENT = frozenset({"script", "style"})  # HTMLParser reads their content as text
# boundary strengths between pieces of text
_NONE, _CELL_GAP, _LINE_GAP, _ITEM_GAP, _PARA_GAP = 0, 1, 2, 3, 4


def clean_line(text: str) -> str:
    """One line of plain text: control characters removed, whitespace collapsed."""
    text = _CONTROL.sub("", text)
    return " ".join(text.split())


def clean_text(text: str) -> str:
    """Plain text with paragraphs: control characters removed, spaces collapsed per line."""
    text = _CONTROL.sub("", text).replace("\r\n", "\n")
    if any(need in text for need in _SPACES_NEED):
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    else:
        lines = [line.strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    return _BLANKS.sub("\n\n", joined).strip() if "\n" in joined else joined.strip()


@dataclass(frozen=True, slots=True)
class Converted:
    """Text made from markup; ``warning`` when non-empty input gave no text at all."""

    text: str
    warning: str | None = None


class _TextBuilder(HTMLParser):
    """Collects text pieces and the boundaries between them while the markup streams past."""

    def __init__(self, *, single_line: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.single_line = single_line
        self.out: list[str] = []
        self.gap = _NONE
        self.prefix = ""  # a list item's bullet or number, written before its first word
        self.lists: list[list[int]] = []  # open lists: [counter] for <ol>, [] for <ul>
        self.pre = 0
        self.dropping: list[str] = []  # open dropped elements (their text is not kept)
        self.dropped_start = ""  # the start tag of the outermost dropped element
        self.dropped_text: list[str] = []

    # ------------------------------------------------------------------ events

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:
            if tag == self.dropping[-1] or tag in DROP:
                self.dropping.append(tag)
            return
        if tag in DROP:
            self.dropping.append(tag)
            self.dropped_start = self.get_starttag_text() or f"<{tag}>"
            self.dropped_text = []
            return
        self._open(tag)
        if tag in _VOID:
            self._close(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping or tag in DROP:
            return
        self._open(tag)
        self._close(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag in self.dropping:
                while self.dropping and self.dropping.pop() != tag:
                    pass
                if not self.dropping:
                    self.dropped_text = []
            return
        if tag not in _VOID:
            self._close(tag)

    def handle_data(self, data: str) -> None:
        if self.dropping:
            self.dropped_text.append(data)
            return
        self._text(data)

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA["):
            self.handle_data(data[6:])

    # ------------------------------------------------------------------ structure

    def _open(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            self._gap(_PARA_GAP if not self.lists else _LINE_GAP)
            self.lists.append([0] if tag == "ol" else [])
        elif tag == "li":
            self._gap(_ITEM_GAP)
            counter = self.lists[-1] if self.lists else []
            if counter:
                counter[0] += 1
                self.prefix = f"{counter[0]}. "
            else:
                self.prefix = "• "
        elif tag in _PARAGRAPH:
            self._gap(_PARA_GAP)
        elif tag in _LINE:
            self._gap(_LINE_GAP)
        elif tag in _CELL:
            self._gap(_CELL_GAP)
        elif tag == "q":
            self._text("“", raw=True)
        if tag == "pre":
            self.pre += 1

    def _close(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._gap(_PARA_GAP if not self.lists else _LINE_GAP)
            self.prefix = ""
        elif tag == "li":
            self.prefix = ""
            self._gap(_ITEM_GAP)
        elif tag in _PARAGRAPH:
            self._gap(_PARA_GAP)
        elif tag in _LINE and tag != "br":
            self._gap(_LINE_GAP)
        elif tag in _CELL:
            self._gap(_CELL_GAP)
        elif tag == "q":
            self._text("”", raw=True)
        if tag == "pre" and self.pre:
            self.pre -= 1

    def _gap(self, strength: int) -> None:
        self.gap = max(self.gap, strength)

    def _text(self, data: str, *, raw: bool = False) -> None:
        if not raw and not self.pre and any(need in data for need in _HTML_SPACE_NEED):
            data = _HTML_SPACE.sub(" ", data)
        if not data:
            return
        if self.gap and (not data.strip()):
            return  # whitespace between blocks
        if self.gap:
            data = data.lstrip() if not self.pre else data
            if self.out:
                self.out.append(self._separator(data))
            self.gap = _NONE
        if self.prefix and data.strip():
            if not self.single_line:
                data = self.prefix + data.lstrip()
            self.prefix = ""
        self.out.append(data)

    def _separator(self, following: str) -> str:
        gap = self.gap
        if _PUNCT_START.match(following):
            return ""
        if self.single_line:
            if gap == _ITEM_GAP and not _ENDS_WITH_STOP.search(self.out[-1]):
                return "; "
            return " "
        if gap == _PARA_GAP:
            return "\n\n"
        if gap in (_LINE_GAP, _ITEM_GAP):
            return "\n"
        return " "

    # ------------------------------------------------------------------ result

    def result(self) -> str:
        self.close()
        if self.dropping:  # never closed: it was text, not an element
            # (the parser keeps what follows an unclosed <script> or <style> unread)
            self.dropped_text.append(self.rawdata)
            self.rawdata = ""
            opened = self.dropped_start
            self.dropping = []
            self._text(opened, raw=True)
            self._text("".join(self.dropped_text))
        return "".join(self.out)


def convert_html(markup: str, *, single_line: bool = False) -> Converted:
    """Plain text of an HTML fragment (see the module docstring)."""
    markup = _CONTROL.sub("", markup or "")
    if not markup.strip():
        return Converted("")
    builder = _TextBuilder(single_line=single_line)
    if not _feed_bare_tags(builder, markup):
        builder.feed(markup)
    raw = builder.result()
    text = clean_line(raw) if single_line else clean_text(raw)
    if text:
        return Converted(text)
    return Converted(
        "", "markup gave no text (only scripts, styles or empty elements): " + _excerpt(markup)
    )


def _feed_bare_tags(builder: _TextBuilder, markup: str) -> bool:
    """Hand ``builder`` the events of markup made of text and bare tags only (every ``<``
    starts one, none is a dropped or script-like element), as :class:`HTMLParser` would: each
    run of text between two tags, its references resolved, then the tag. False, and nothing
    handed, for any other markup (HTMLParser reads that)."""
    tags = list(_BARE_TAG.finditer(markup))
    if len(tags) != markup.count("<"):
        return False
    if any(tag.group(2) in DROP or tag.group(2) in _CDATA_CONTENT for tag in tags):
        return False
    pos = 0
    for tag in tags:
        start = tag.start()
        if start > pos:
            builder.handle_data(unescape(markup[pos:start]))
        if tag.group(1):
            builder.handle_endtag(tag.group(2))
        else:
            builder.handle_starttag(tag.group(2), [])
        pos = tag.end()
    if pos < len(markup):
        builder.handle_data(unescape(markup[pos:]))
    return True


def looks_like_markup(text: str) -> bool:
    """Whether a title that does not say what it is reads as HTML: it has a closing tag or a
    character reference, and every tag in it is a text-level HTML element (so "Use <script>
    tags" and "a < b" are text, "Iran <i>and</i> Russia" and "AT&amp;amp;T" are markup)."""
    if "<" not in text and "&" not in text:
        return False
    if not (_CLOSE_TAG.search(text) or _CHAR_REF.search(text)):
        return False
    if any(name.lower() not in _TITLE_MARKUP for name in _TAG_NAME.findall(text)):
        return False
    return all(ref.startswith("#") or f"{ref};" in html5 for ref in _CHAR_REF.findall(text))


def title_text(value: str, *, is_html: bool | None = None) -> Converted:
    """One line of text for a title. ``is_html``: what the feed says (Atom ``type``); None when
    it says nothing, then :func:`looks_like_markup` decides. Markup that gives no text keeps the
    title as written (with a warning), so a title is never emptied."""
    if is_html is None:
        is_html = looks_like_markup(value)
    if not is_html:
        return Converted(clean_line(value))
    converted = convert_html(value, single_line=True)
    if converted.text or not converted.warning:
        return converted
    return Converted(clean_line(value), converted.warning + "; the title is kept as written")


def html_to_text(markup: str, *, single_line: bool = False) -> str:
    """Plain text of an HTML fragment; logs a warning when non-empty markup gave no text."""
    converted = convert_html(markup, single_line=single_line)
    if converted.warning:
        log.warning("HTML without text warning=%s", converted.warning)
    return converted.text


def _excerpt(markup: str, limit: int = 80) -> str:
    flat = clean_line(markup)
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")
