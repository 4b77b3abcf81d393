"""Readers of the web app and what they did: visits, read and starred items.

State is kept per item (:class:`~monitor.db.models.ReaderItem`), not per story, so it survives
``monitor dedup rebuild``, splits and merges: a story is read when each of its items is, and
starred when one of them is. Marking a story marks its items as they are at that moment; a report
that joins later makes the story unread again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import Item, Reader, ReaderItem

VISIT_GAP = timedelta(minutes=30)  # page views further apart start a new visit


def reader_id(session: Session, name: str) -> int:
    """The id of the reader called ``name`` (created on first use)."""
    found = session.scalar(select(Reader.id).where(Reader.name == name))
    if found is not None:
        return found
    reader = Reader(name=name)
    session.add(reader)
    session.flush()
    return reader.id


def touch_visit(session: Session, reader: int, now: datetime) -> datetime | None:
    """Record a page view; returns when the reader's previous visit ended (None: first visit)."""
    row = session.get(Reader, reader)
    if row is None:
        return None
    if row.last_seen_at is None or now - row.last_seen_at > VISIT_GAP:
        row.previous_visit_at = row.last_seen_at
    row.last_seen_at = now
    return row.previous_visit_at


def story_item_ids(session: Session, story_id: int) -> list[int]:
    return list(session.scalars(select(Item.id).where(Item.story_id == story_id)))


def _rows(session: Session, reader: int, item_ids: Sequence[int]) -> dict[int, ReaderItem]:
    rows = session.scalars(
        select(ReaderItem).where(ReaderItem.reader_id == reader, ReaderItem.item_id.in_(item_ids))
    )
    have = {r.item_id: r for r in rows}
    for item_id in item_ids:
        if item_id not in have:
            have[item_id] = ReaderItem(reader_id=reader, item_id=item_id)
            session.add(have[item_id])
    return have


def mark_read(
    session: Session, reader: int, item_ids: Sequence[int], *, read: bool, now: datetime
) -> None:
    """Mark items read (or unread) for ``reader``."""
    for row in _rows(session, reader, item_ids).values():
        row.read_at = (row.read_at or now) if read else None


def set_starred(
    session: Session, reader: int, item_ids: Sequence[int], *, starred: bool, now: datetime
) -> None:
    """Star (or unstar) items for ``reader``."""
    for row in _rows(session, reader, item_ids).values():
        row.starred_at = (row.starred_at or now) if starred else None
