"""Item queries used by collection: what is known already, inserting items, revisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import zip_longest
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from monitor.db.models import Item, ItemRevision

_CHUNK = 400


@dataclass(frozen=True, slots=True)
class KnownItem:
    id: int
    source_id: int
    entry_key: str
    canonical_url: str
    title: str
    text: str
    author: str | None
    fulltext_status: str
    published_at: datetime | None
    date_quality: str


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def find_known(
    session: Session, source_id: int, entry_keys: Sequence[str], canonical_urls: Sequence[str]
) -> tuple[dict[str, KnownItem], dict[str, KnownItem]]:
    """Stored items matching an entry: ``(by entry key in this source, by canonical URL anywhere)``.

    A match by canonical URL in *this* source is returned under the entry key too (the GUID may
    have changed while the URL stayed).
    """
    by_key: dict[str, KnownItem] = {}
    by_url: dict[str, KnownItem] = {}
    cols = (
        Item.id,
        Item.source_id,
        Item.entry_key,
        Item.canonical_url,
        Item.title,
        Item.text,
        Item.author,
        Item.fulltext_status,
        Item.published_at,
        Item.date_quality,
    )
    keys = list(dict.fromkeys(entry_keys))
    # items without a link have an empty canonical URL: that identifies nothing
    urls = [u for u in dict.fromkeys(canonical_urls) if u]
    key_set, url_set = set(keys), set(urls)
    # both lookups in one query (one round trip for a feed's entries)
    for key_chunk, url_chunk in zip_longest(_chunks(keys), _chunks(urls), fillvalue=()):
        where = []
        if key_chunk:
            where.append(and_(Item.source_id == source_id, Item.entry_key.in_(key_chunk)))
        if url_chunk:
            where.append(Item.canonical_url.in_(url_chunk))
        for row in session.execute(select(*cols).where(or_(*where))):
            known = KnownItem(**row._asdict())
            if known.source_id == source_id and known.entry_key in key_set:
                by_key[known.entry_key] = known
            if known.canonical_url in url_set:
                prev = by_url.get(known.canonical_url)
                # prefer this source's copy, then one with extracted text
                if prev is None or (known.source_id == source_id and prev.source_id != source_id):
                    by_url[known.canonical_url] = known
    return by_key, by_url


def get_item_for_entry(
    session: Session, source_id: int, entry_key: str, canonical_url: str
) -> Item | None:
    """The stored item of this source with this entry key (or, failing that, canonical URL;
    an empty one, of an item without a link, identifies nothing)."""
    same = (
        or_(Item.entry_key == entry_key, Item.canonical_url == canonical_url)
        if canonical_url
        else Item.entry_key == entry_key
    )
    stmt = (
        select(Item)
        .where(Item.source_id == source_id, same)
        .order_by((Item.entry_key == entry_key).desc(), Item.id)
        .limit(1)
    )
    return session.scalar(stmt)


class EntryRows:
    """The stored items of many entries, read in a few queries: :meth:`get` answers as
    :func:`get_item_for_entry` would have at the time of the read (for each ``(source_id,
    entry_key, canonical_url)`` given to :func:`rows_for_entries`)."""

    def __init__(self, by_key: dict[tuple[int, str], Item], by_url: dict[tuple[int, str], Item]):
        self._by_key = by_key
        self._by_url = by_url

    def get(self, source_id: int, entry_key: str, canonical_url: str) -> Item | None:
        row = self._by_key.get((source_id, entry_key))
        if row is None and canonical_url:
            row = self._by_url.get((source_id, canonical_url))
        return row


def rows_for_entries(session: Session, entries: Sequence[tuple[int, str, str]]) -> EntryRows:
    """:func:`get_item_for_entry` for each ``(source_id, entry_key, canonical_url)`` at once: the
    item with the entry key in its source, else the oldest one with the canonical URL there; with
    their tags loaded."""
    by_key: dict[tuple[int, str], Item] = {}
    by_url: dict[tuple[int, str], Item] = {}
    sources = sorted({source_id for source_id, _, _ in entries})
    keys = list(dict.fromkeys(key for _, key, _ in entries))
    urls = list(dict.fromkeys(url for _, _, url in entries if url))
    for chunk in _chunks(keys):
        stmt = (
            select(Item)
            .where(Item.source_id.in_(sources), Item.entry_key.in_(chunk))
            .options(selectinload(Item.tags))  # the judge replaces them: one query, not one each
        )
        for row in session.scalars(stmt):
            by_key[(row.source_id, row.entry_key)] = row
    for chunk in _chunks(urls):
        stmt = (
            select(Item)
            .where(Item.source_id.in_(sources), Item.canonical_url.in_(chunk))
            .order_by(Item.id.desc())  # the oldest is kept: it comes last
            .options(selectinload(Item.tags))
        )
        for row in session.scalars(stmt):
            by_url[(row.source_id, row.canonical_url)] = row
    return EntryRows(by_key, by_url)


def insert_item(session: Session, **fields: Any) -> Item:
    """Add a new item to the session (written at the next flush, so the stages' updates go into
    the same INSERT). It starts with no tags, known without a query."""
    item = Item(**fields)
    item.tags = []
    session.add(item)
    return item


def add_revision(session: Session, item: Item, *, now: datetime) -> ItemRevision:
    """Keep the item's current title/summary/text as a revision before it is overwritten."""
    rev = ItemRevision(
        item_id=item.id,
        revision=item.revision,
        title=item.title,
        summary=item.summary,
        text=item.text,
        recorded_at=now,
    )
    session.add(rev)
    return rev


def revisions_of(session: Session, item_id: int) -> list[ItemRevision]:
    stmt = (
        select(ItemRevision).where(ItemRevision.item_id == item_id).order_by(ItemRevision.revision)
    )
    return list(session.scalars(stmt))


def count_items(
    session: Session, source_id: int | None = None, *, relevant: bool | None = None
) -> int:
    """Items in the archive, optionally of one source and/or with one relevance verdict."""
    stmt = select(func.count()).select_from(Item)
    if source_id is not None:
        stmt = stmt.where(Item.source_id == source_id)
    if relevant is not None:
        stmt = stmt.where(Item.relevant.is_(relevant))
    return session.scalar(stmt) or 0
