"""Whether a feed parsed without its base URI reads the same as one parsed with it.

feedparser resolves relative URIs against the document's base: the feed URL we hand it (as
``content-location``), then any ``xml:base``. What it resolves: entry links, link ``href``\\ s,
GUIDs that are permalinks, the channel link, and the URI attributes inside HTML content. With a
base it also joins the base with itself at every start tag, a sixth of the whole parse; without
one it leaves every URI as written. So :mod:`monitor.collect.feeds` parses without the base, and
parses again with it unless all of this holds (then the two parses give the same result):

- the document declares no base of its own (:func:`declares_base`: no ``base`` attribute,
  ``xml:base`` included) and the feed URL is its own base (feedparser's join of it with itself
  gives it back) — :func:`base_may_matter` checks both before parsing (and, to spare a parse
  that would be wasted, whether a link or GUID is written relative);
- every URI that we read resolves to itself (:func:`uris_resolve_to_themselves`: the channel
  link, each entry's link, alternate ``href``\\ s and GUID), with neither ``&`` nor ``;`` before
  its query (feedparser rewrites ``&amp;`` and ``&name;`` in a link *after* resolving it, and
  resolving drops an empty ``;`` parameter, so there the order would matter);
- no text that we make from HTML can show a URI attribute (:func:`markup_may_show_uris`): our
  HTML to text conversion drops attributes, except the start tag of an element that is never
  closed (``<script>``, ``<iframe>``, ``<object>`` have URI attributes), an RSS title's
  character references decide whether it is markup (``<`` and ``&`` both in it), and a warning
  about markup that gave no text quotes the markup (the caller checks its warnings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from feedparser.urls import _urljoin, make_safe_absolute_uri

_BASE_ATTRIBUTE = re.compile(rb"base\s*=", re.I)
# a link or permalink GUID written relative: the base will matter, so it is given at once
_RELATIVE_LINK = re.compile(
    rb"<(?:link|guid)>\s*(?!https?://)[^<\s]|<link\s[^>]*?href\s*=\s*[\"'](?!https?://)", re.I
)
_URI_ELEMENT = re.compile(r"<(?:script|iframe|object)", re.I)
_BEFORE_QUERY = re.compile(r"^[^?#]*")
# a GUID (or Atom id) start tag, and the one form of it that says it is not a permalink
_ID_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:guid|id)(?=[\s/>])[^>]*>", re.I)
_NOT_PERMALINK = re.compile(
    rb"<guid\s+ispermalink\s*=\s*(?:\"(?!true\")[A-Za-z]*\"|'(?!true')[A-Za-z]*')\s*>", re.I
)


def declares_base(document: bytes) -> bool:
    """Whether an element may carry a ``base`` or ``xml:base`` attribute (read loosely: the
    words ``base =`` anywhere)."""
    return _BASE_ATTRIBUTE.search(document) is not None


def base_may_matter(document: bytes, feed_url: str) -> bool:
    """Before parsing: whether the base can differ from the feed URL inside the document, or
    will matter anyway (a link written relative: parsing without the base would be wasted)."""
    if declares_base(document) or _RELATIVE_LINK.search(document):
        return True
    return bool(feed_url) and (make_safe_absolute_uri(feed_url, feed_url) or feed_url) != feed_url


def ids_may_resolve(document: bytes) -> bool:
    """Whether feedparser may resolve a GUID against the base: an Atom id always, an RSS GUID
    unless its start tag is exactly ``<guid isPermaLink="false">`` (any value but ``true``)."""
    for tag in _ID_TAG.finditer(document):
        value = _NOT_PERMALINK.fullmatch(tag.group())
        if value is None or tag.group().lower().count(b"ispermalink") != 1:
            return True
    return False


def resolves_to_itself(uri: str, base: str) -> bool:
    """Whether feedparser's resolution of ``uri`` against ``base`` gives ``uri`` back, whatever
    it rewrote in a link's ampersands (see the module docstring)."""
    head = _BEFORE_QUERY.match(uri)
    if head is not None and ("&" in head.group() or ";" in head.group()):
        return False
    return bool(_urljoin(base, uri) == uri)


def uris_resolve_to_themselves(
    channel: Any, entries: Iterable[Any], base: str, *, ids: bool
) -> bool:
    """Whether every URI read from the parse (the channel link; each entry's link, alternate
    ``href``\\ s and, when ``ids``, GUID) resolves to itself against ``base``."""
    uris: set[str] = set()  # an entry's link is mostly its alternate href too: each once
    if "link" in channel:
        uris.add(str(channel["link"]))
    for entry in entries:
        if "link" in entry:
            uris.add(str(entry["link"]))
        if ids and "id" in entry:
            uris.add(str(entry["id"]))
        for link in entry.get("links") or ():
            if link.get("rel", "alternate") == "alternate" and "href" in link:
                uris.add(str(link["href"]))
    return all(resolves_to_itself(uri, base) for uri in uris)


def markup_may_show_uris(channel: Any, entries: Iterable[Any], *, typed: bool) -> bool:
    """Whether HTML that we turn into text may show a URI attribute (see the module docstring)."""
    titles = [channel.get("title")]
    bodies: list[Any] = []
    for entry in entries:
        titles.append(entry.get("title"))
        bodies.append(entry.get("summary"))
        bodies += [content.get("value") for content in entry.get("content") or ()]
    for value in titles + bodies:
        if value and _URI_ELEMENT.search(str(value)):
            return True
    if typed:
        return False
    return any(value and "<" in str(value) and "&" in str(value) for value in titles)
