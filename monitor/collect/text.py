"""Turning scraped markup into plain text that is safe to store.

Titles, summaries and feed content may carry HTML (and scripts). What is stored is always plain
text: ``<script>``/``<style>`` bodies dropped, tags removed, entities resolved, NUL and other
control characters removed, whitespace collapsed (paragraph breaks kept as blank lines in
:func:`html_to_text`).
"""

from __future__ import annotations

import html
import re

from lxml import etree
from lxml import html as lxml_html

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n+")
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "svg")
_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "tr",
    "section",
    "article",
}


def clean_line(text: str) -> str:
    """One line of plain text: control characters removed, whitespace collapsed."""
    text = _CONTROL.sub("", text)
    return " ".join(text.split())


def clean_text(text: str) -> str:
    """Plain text with paragraphs: control characters removed, spaces collapsed per line."""
    text = _CONTROL.sub("", text).replace("\r\n", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    return _BLANKS.sub("\n\n", joined).strip()


def html_to_text(markup: str, *, single_line: bool = False) -> str:
    """Plain text of an HTML fragment (or of text that merely contains ``&amp;``-style entities)."""
    markup = _CONTROL.sub("", markup or "")
    if not markup.strip():
        return ""
    if "<" not in markup:
        text = html.unescape(markup)
        return clean_line(text) if single_line else clean_text(text)
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError, TypeError):
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
        return clean_line(text) if single_line else clean_text(text)
    for bad in list(root.iter(*_DROP)):
        if bad.getparent() is not None:
            bad.drop_tree()
    text = _text_in_order(root)
    return clean_line(text) if single_line else clean_text(text)


def _text_in_order(el: lxml_html.HtmlElement) -> str:
    out: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _BLOCK:
            out.append("\n\n")
        if isinstance(node.tag, str) and node.text:
            out.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                out.append(child.tail)
        if tag in _BLOCK:
            out.append("\n\n")

    walk(el)
    return "".join(out)
