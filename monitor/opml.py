"""OPML 2.0 import and export of sources (how feed readers exchange subscriptions).

Export writes one ``<outline type="rss">`` per source inside a folder outline per category, with the
standard attributes (``text``, ``title``, ``xmlUrl``, ``language``) and every other source field as an
attribute in the ``monitor`` namespace, so export → import keeps every field. Import also reads
plain OPML from other readers: ``xmlUrl`` is required; missing fields get defaults (the folder name
becomes the category; ``--language`` supplies a missing language).

Input is parsed with defusedxml: DTDs and entity declarations are refused.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
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


def _outline_to_source(
    el: ET.Element, folder: str | None, default_language: str | None
) -> SourceConfig:
    name = el.get("title") or el.get("text") or el.get("xmlUrl") or ""
    where = f"outline {name!r}"
    a = el.attrib
    kind = a.get(_q("kind")) or ("atom" if a.get("type", "").lower() == "atom" else "rss")
    language = a.get("language") or default_language
    if not language:
        raise OpmlError(f"opml: {where}: no language attribute; pass --language en|ru|fa")
    language = language.split("-")[0].lower()
    data: dict[str, Any] = {
        "name": name,
        "url": a.get("xmlUrl"),
        "kind": kind,
        "language": language,
        "category": a.get(_q("category")) or folder or "other",
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


def import_opml(text: str | bytes, *, default_language: str | None = None) -> list[SourceConfig]:
    """Every feed outline in the document, as source records (folders give the category)."""
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
    out: list[SourceConfig] = []
    seen: set[str] = set()

    def walk(parent: ET.Element, folder: str | None) -> None:
        for el in parent.findall("outline"):
            if el.get("xmlUrl"):
                src = _outline_to_source(el, folder, default_language)
                if src.name in seen:
                    raise OpmlError(f"opml: duplicate source name {src.name!r}")
                seen.add(src.name)
                out.append(src)
            else:
                walk(el, el.get("title") or el.get("text") or folder)

    walk(body, None)
    return out
