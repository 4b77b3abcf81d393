"""OPML 2.0 import and export of sources (how feed readers exchange subscriptions).

Export writes one ``<outline type="rss">`` per source inside a folder outline per category, with the
standard attributes (``text``, ``title``, ``xmlUrl``, ``language``) and every other source field as an
attribute in the ``monitor`` namespace, so export → import keeps every field. Import also reads
plain OPML from other readers: ``xmlUrl`` is required; missing fields get defaults (the folder name
becomes the category). A missing language comes from ``--language``, else from the feed itself
(``monitor sources import-opml`` fetches it: see :func:`place_outlines`); an outline that cannot
become a source is reported, and the others are imported.

Input is parsed with defusedxml: DTDs and entity declarations are refused.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from pydantic import ValidationError

from monitor.config import ListingSelectors, SourceConfig
from monitor.errors import InputError

NS = "https://iran-russia-monitor.example/opml"
ET.register_namespace("monitor", NS)

_BOOL = {"true": True, "false": False}


class OpmlError(InputError):
    """The OPML document could not be read; message names the outline."""


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def export_opml(sources: Iterable[SourceConfig], *, title: str = "Monitor sources") -> str:
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for src in sorted(sources, key=lambda s: (s.category, s.name)):
        folder = folders.get(src.category)
        if folder is None:
            folder = ET.SubElement(body, "outline", {"text": src.category, "title": src.category})
            folders[src.category] = folder
        attrs = {
            "type": "rss",
            "text": src.name,
            "title": src.name,
            "xmlUrl": src.url,
            "language": src.language,
            _q("kind"): src.kind,
            _q("pollIntervalMinutes"): str(src.poll_interval_minutes),
            _q("enabled"): "true" if src.enabled else "false",
            _q("verified"): "true" if src.verified else "false",
            _q("category"): src.category,
        }
        if src.fetch_fulltext is not None:
            attrs[_q("fetchFulltext")] = "true" if src.fetch_fulltext else "false"
        if src.notes:
            attrs[_q("notes")] = src.notes
        if src.timezone:
            attrs[_q("timezone")] = src.timezone
        if src.selectors is not None:
            if src.selectors.article_links_css:
                attrs[_q("articleLinksCss")] = src.selectors.article_links_css
            if src.selectors.article_links_xpath:
                attrs[_q("articleLinksXpath")] = src.selectors.article_links_xpath
        ET.SubElement(folder, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _bool(value: str | None, where: str, default: bool | None) -> bool | None:
    if value is None:
        return default
    if value.lower() not in _BOOL:
        raise OpmlError(f"opml: {where}: expected true or false, got {value!r}")
    return _BOOL[value.lower()]


@dataclass(frozen=True)
class Outline:
    """One feed outline (an outline with ``xmlUrl``); ``folder`` is the enclosing folder's name."""

    name: str
    url: str
    folder: str | None
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def language(self) -> str | None:
        return self.attrs.get("language") or None

    @property
    def kind(self) -> str | None:
        return self.attrs.get(_q("kind")) or None

    def __str__(self) -> str:
        return f"outline {self.name!r} ({self.url})"


@dataclass(frozen=True)
class OutlineFacts:
    """What fetching an outline's feed told: its language and kind, or why there is none."""

    language: str | None = None
    kind: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Unplaced:
    """An outline that did not become a source, and why."""

    outline: Outline
    reason: str

    def __str__(self) -> str:
        return f"opml: {self.outline}: {self.reason}"


@dataclass(frozen=True)
class OpmlImport:
    sources: list[SourceConfig]
    unplaced: list[Unplaced]


def outline_source(outline: Outline, *, language: str, kind: str | None = None) -> SourceConfig:
    """The source record of ``outline``; raises :class:`OpmlError` naming what is wrong."""
    a = outline.attrs
    where = f"outline {outline.name!r}"
    kind = outline.kind or kind or ("atom" if a.get("type", "").lower() == "atom" else "rss")
    data: dict[str, Any] = {
        "name": outline.name,
        "url": outline.url,
        "kind": kind,
        "language": language.split("-")[0].lower(),
        "category": a.get(_q("category")) or outline.folder or "other",
        "enabled": _bool(a.get(_q("enabled")), where, True),
        "verified": _bool(a.get(_q("verified")), where, False),
        "fetch_fulltext": _bool(a.get(_q("fetchFulltext")), where, None),
        "notes": a.get(_q("notes"), ""),
        "timezone": a.get(_q("timezone")) or None,
    }
    if a.get(_q("pollIntervalMinutes")):
        data["poll_interval_minutes"] = a[_q("pollIntervalMinutes")]
    css, xpath = a.get(_q("articleLinksCss")), a.get(_q("articleLinksXpath"))
    if css or xpath:
        data["selectors"] = ListingSelectors(article_links_css=css, article_links_xpath=xpath)
    try:
        return SourceConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise OpmlError(f"opml: {where}: {key}: {first['msg']}") from None


def read_outlines(text: str | bytes) -> list[Outline]:
    """Every feed outline in the document, in order. Raises :class:`OpmlError` when the document
    as a whole cannot be read (not XML, unsafe, not OPML)."""
    try:
        root = SafeET.fromstring(text)
    except DefusedXmlException as exc:
        raise OpmlError(f"opml: refused unsafe XML ({exc.__class__.__name__})") from None
    except ET.ParseError as exc:
        raise OpmlError(f"opml: not well-formed XML: {exc}") from None
    if root.tag != "opml":
        raise OpmlError(f"opml: root element is <{root.tag}>, expected <opml>")
    body = root.find("body")
    if body is None:
        raise OpmlError("opml: no <body> element")
    out: list[Outline] = []

    def walk(parent: ET.Element, folder: str | None) -> None:
        for el in parent.findall("outline"):
            url = el.get("xmlUrl")
            if url:
                name = el.get("title") or el.get("text") or url
                out.append(Outline(name, url.strip(), folder, dict(el.attrib)))
            else:
                walk(el, el.get("title") or el.get("text") or folder)

    walk(body, None)
    return out


def place_outlines(
    outlines: Iterable[Outline],
    *,
    default_language: str | None = None,
    found: Mapping[str, OutlineFacts] | None = None,
) -> OpmlImport:
    """Each outline as a source, or the reason it cannot be one. The language is the outline's
    ``language`` attribute, else ``default_language``, else what ``found`` says of its URL."""
    found = found or {}
    sources: list[SourceConfig] = []
    unplaced: list[Unplaced] = []
    seen: set[str] = set()
    for outline in outlines:
        facts = found.get(outline.url, OutlineFacts())
        language = outline.language or default_language or facts.language
        if not language:
            reason = facts.problem or "no language attribute; pass --language en|ru|fa"
            unplaced.append(Unplaced(outline, reason))
            continue
        try:
            source = outline_source(outline, language=language, kind=facts.kind)
        except OpmlError as exc:
            unplaced.append(Unplaced(outline, str(exc).split(": ", 2)[-1]))
            continue
        if source.name in seen:
            unplaced.append(Unplaced(outline, "a source of that name comes earlier in the file"))
            continue
        seen.add(source.name)
        sources.append(source)
    return OpmlImport(sources, unplaced)


def import_opml(text: str | bytes, *, default_language: str | None = None) -> list[SourceConfig]:
    """Every feed outline as a source (folders give the category); the first outline that cannot
    be one raises :class:`OpmlError` (the lossless round trip of :func:`export_opml`)."""
    result = place_outlines(read_outlines(text), default_language=default_language)
    if result.unplaced:
        raise OpmlError(str(result.unplaced[0]))
    return result.sources
