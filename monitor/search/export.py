"""Writers for archive exports: CSV, JSON Lines and Atom, streaming record by record.

CSV cells that a spreadsheet would read as a formula (starting with ``= + - @``, a tab or a carriage
return) are prefixed with an apostrophe. Atom output drops characters XML cannot carry.

A saved search's feed lives at :data:`SAVED_FEED_ROUTE` (the secret token is the only credential a
feed reader has); :func:`saved_search_atom` writes it, given the matching records.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Literal
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape, quoteattr

from monitor import __version__
from monitor.records import EXPORT_FIELDS, ItemRecord

ExportFormat = Literal["csv", "jsonl", "atom"]
SAVED_FEED_ROUTE = "/searches/feed/{token}.atom"  # the web app's route (Starlette syntax)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise_cell(value: str) -> str:
    """Make a scraped string safe to open in a spreadsheet (no formula execution)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_row(record: ItemRecord) -> list[str]:
    data = record.to_dict()
    row: list[str] = []
    for name in EXPORT_FIELDS:
        value = data[name]
        if value is None:
            row.append("")
        elif isinstance(value, bool):
            row.append("true" if value else "false")
        elif isinstance(value, int | float):
            row.append(str(value))
        elif isinstance(value, list):
            row.append(neutralise_cell("; ".join(value)))
        else:
            row.append(neutralise_cell(str(value)))
    return row


def write_csv(records: Iterable[ItemRecord], out: IO[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(EXPORT_FIELDS)
    n = 0
    for record in records:
        writer.writerow(csv_row(record))
        n += 1
    return n


def write_jsonl(records: Iterable[ItemRecord], out: IO[str]) -> int:
    n = 0
    for record in records:
        out.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
        n += 1
    return n


# --------------------------------------------------------------------------- Atom


def _x(value: str) -> str:
    return escape(_XML_INVALID.sub("", value))


def _attr(value: str) -> str:
    return quoteattr(_XML_INVALID.sub("", value))


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_entry(record: ItemRecord, *, item_url: str | None = None) -> str:
    """One ``<entry>``; ``item_url`` (the archive page of the item) doubles as its id."""
    entry_id = item_url or f"urn:iran-russia-monitor:item:{record.id}"
    parts = [
        "<entry>",
        f"<id>{_x(entry_id)}</id>",
        f'<title type="text">{_x(record.title or "(untitled)")}</title>',
    ]
    if record.url:  # an item without a link has only its archive page
        parts.append(f'<link rel="alternate" href={_attr(record.url)}/>')
    if item_url:
        parts.append(f'<link rel="related" type="text/html" href={_attr(item_url)}/>')
    parts.append(f"<updated>{_iso(record.first_seen_at)}</updated>")
    if record.published_at:
        parts.append(f"<published>{_iso(record.published_at)}</published>")
    parts.append(f"<author><name>{_x(record.source)}</name></author>")
    for theme in record.themes:
        parts.append(f'<category scheme="theme" term={_attr(theme)}/>')
    for figure in record.figures:
        parts.append(f'<category scheme="figure" term={_attr(figure)}/>')
    summary = record.text[:600] + ("…" if len(record.text) > 600 else "")
    parts.append(f'<summary type="text">{_x(summary)}</summary>')
    parts.append(f'<content type="text">{_x(record.text)}</content>')
    parts.append("</entry>")
    return "".join(parts)


def iter_atom(
    records: Iterable[ItemRecord],
    *,
    title: str,
    feed_id: str,
    self_url: str | None = None,
    alternate_url: str | None = None,
    item_url_prefix: str | None = None,
    updated: datetime | None = None,
) -> Iterator[str]:
    """An Atom 1.0 document in pieces (header, one piece per entry, footer)."""
    head = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{_x(title)}</title>",
        f"<id>{_x(feed_id)}</id>",
        f"<updated>{_iso(updated or datetime.now(UTC))}</updated>",
        f'<generator version="{__version__}">iran-russia-monitor</generator>',
    ]
    if self_url:
        head.append(f'<link rel="self" type="application/atom+xml" href={_attr(self_url)}/>')
    if alternate_url:
        head.append(f'<link rel="alternate" type="text/html" href={_attr(alternate_url)}/>')
    yield "".join(head) + "\n"
    for record in records:
        item_url = f"{item_url_prefix}{record.id}" if item_url_prefix else None
        yield atom_entry(record, item_url=item_url) + "\n"
    yield "</feed>\n"


def saved_feed_path(token: str) -> str:
    """The path of a saved search's Atom feed, e.g. ``/searches/feed/Xy3….atom``."""
    return SAVED_FEED_ROUTE.replace("{token}", quote(token, safe=""))


def saved_search_atom(
    records: Iterable[ItemRecord],
    *,
    title: str,
    name: str,
    token: str,
    search_params: dict[str, str | list[str]],
    base_url: str,
    updated: datetime | None = None,
) -> str:
    """The Atom feed of a saved search: ``records`` (newest first) under the title
    "<title>: <name>", linking to the search page and each item's page under ``base_url``
    (the web app's address, e.g. ``https://monitor.example.org/``)."""
    base = base_url.rstrip("/") + "/"
    self_url = base + saved_feed_path(token).lstrip("/")
    return "".join(
        iter_atom(
            records,
            title=f"{title}: {name}",
            feed_id=f"urn:iran-russia-monitor:saved-search:{token}",
            self_url=self_url,
            alternate_url=base + "search?" + urlencode(search_params, doseq=True),
            item_url_prefix=base + "items/",
            updated=updated,
        )
    )


def write_atom(records: Iterable[ItemRecord], out: IO[str], *, title: str) -> int:
    n = 0

    def counted() -> Iterator[ItemRecord]:
        nonlocal n
        for record in records:
            n += 1
            yield record

    for piece in iter_atom(counted(), title=title, feed_id="urn:iran-russia-monitor:export"):
        out.write(piece)
    return n


def write_export(
    records: Iterable[ItemRecord], out: IO[str], fmt: ExportFormat, *, title: str
) -> int:
    """Write ``records`` in ``fmt``; returns how many were written."""
    if fmt == "csv":
        return write_csv(records, out)
    if fmt == "jsonl":
        return write_jsonl(records, out)
    return write_atom(records, out, title=title)
