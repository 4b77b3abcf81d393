"""Storing one collected entry: a new item, a revision of a known one, or nothing (known).

Identity within a source is the entry key (GUID → canonical URL → title, see
:func:`monitor.identity.entry_key`); a stored item of the same source with the same canonical
URL is the same item too. For a known item, a changed title, summary or (when the text came from
the feed itself) text is a **revision**: the old values go to ``item_revisions``, the item gets
the new ones and ``revision + 1``, and the pipeline stages run again. Published and first-seen
times are kept apart; a revision never moves ``first_seen_at``.

An entry stored with its feed text while its article page was still to come (full-text status
``pending``) gets the page's outcome later (``CollectedItem.page_result``): the article's text is
**attached** as a revision the same way (and the stages run again: relevance and story may
change), with the article's author and date where the feed gave none; a page that could not be
read only marks the item ``failed`` (its feed text stays, nothing to judge again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from monitor.collect.records import CollectedItem
from monitor.db.items import EntryRows, add_revision, get_item_for_entry, insert_item
from monitor.db.models import Item
from monitor.dedup.text import strip_boilerplate
from monitor.identity import Outlets, content_fingerprint, title_key
from monitor.textnorm import normalise

Outcome = Literal["new", "revised", "known", "attached"]


def _text_of(item: CollectedItem) -> str:
    if item.article is not None and item.article.text:
        return item.article.text
    return item.entry.text or item.entry.summary


def fingerprint_body(text: str, outlets: Outlets) -> str:
    """The body a content fingerprint is taken of: ``prepare_body(text, outlets).body``
    (boilerplate removed, normalised) without the shingles and numbers that only folding needs."""
    return normalise(strip_boilerplate(text, outlets))


def _fingerprint(title: str, text: str, outlets: Outlets) -> str:
    return content_fingerprint(title, fingerprint_body(text, outlets), outlets)


def store_collected(
    session: Session,
    item: CollectedItem,
    *,
    run_id: int | None,
    now: datetime,
    declared_language: str | None,
    outlets: Outlets,
    rows: EntryRows | None = None,
) -> tuple[Outcome, Item | None]:
    """Insert or revise; returns the outcome and the row the stages should see (None if known).
    ``outlets``: for the stored title key and content fingerprint; ``rows``: the stored items
    of the batch's entries, read at once (:func:`~monitor.db.items.rows_for_entries`; an entry
    not among them is looked up on its own)."""
    entry, article = item.entry, item.article
    if not item.looked_up_new:
        key = (item.source_id, item.entry_key, item.canonical_url)
        existing = rows.get(*key) if rows is not None else None
        if existing is None:
            existing = get_item_for_entry(session, *key)
        if existing is not None:
            if item.page_result:
                return _attach_page(session, existing, item, now=now, outlets=outlets)
            return _maybe_revise(session, existing, item, now=now, outlets=outlets)
    title = entry.title or (article.title if article else "") or ""
    text = _text_of(item)
    published_at, quality = entry.published_at, entry.date_quality
    if published_at is None and article is not None and article.published_at is not None:
        published_at, quality = article.published_at, article.date_quality
    elif published_at is None and article is not None and quality == "missing":
        quality = article.date_quality
    row = insert_item(
        session,
        source_id=item.source_id,
        run_id=run_id,
        entry_key=item.entry_key,
        url=entry.url,
        canonical_url=item.canonical_url,
        guid=entry.guid,
        title=title,
        summary=entry.summary,
        text=text,
        author=entry.author or (article.author if article else None),
        language=entry.language or (article.language if article else None),
        declared_language=declared_language,
        published_at=published_at,
        date_quality=quality,
        date_text=entry.date_text if quality == entry.date_quality else None,
        first_seen_at=now,
        updated_at=now,
        arrived_via=entry.arrived_via,
        fulltext_status=item.fulltext_status,
        revision=1,
        content_hash=_fingerprint(title, text, outlets),
        title_key=title_key(title, outlets),
    )
    return "new", row


def _maybe_revise(
    session: Session, row: Item, item: CollectedItem, *, now: datetime, outlets: Outlets
) -> tuple[Outcome, Item | None]:
    entry = item.entry
    new_title = entry.title or row.title
    new_summary = entry.summary if entry.arrived_via == "feed" else row.summary
    new_text = row.text
    if (
        row.fulltext_status in ("none", "pending")
        and entry.arrived_via == "feed"
        and (entry.text or entry.summary)
    ):
        new_text = entry.text or entry.summary
    if item.article is not None and item.article.text:
        new_text = item.article.text
    if (new_title, new_summary, new_text) == (row.title, row.summary, row.text):
        return "known", None
    _revise(session, row, new_title, new_summary, new_text, now=now, outlets=outlets)
    return "revised", row


def _attach_page(
    session: Session, row: Item, item: CollectedItem, *, now: datetime, outlets: Outlets
) -> tuple[Outcome, Item | None]:
    """The article page's outcome for an item stored with its feed text (module docstring)."""
    article = item.article
    if article is None or not article.text:
        if row.fulltext_status == "pending":
            row.fulltext_status = "failed"
            session.flush()
        return "known", None
    row.fulltext_status = "ok"
    if not row.author and article.author:
        row.author = article.author
    if row.published_at is None and article.published_at is not None:
        row.published_at, row.date_quality = article.published_at, article.date_quality
    elif row.published_at is None and row.date_quality == "missing":
        row.date_quality = article.date_quality
    title = row.title or article.title or ""
    if (title, article.text) == (row.title, row.text):
        session.flush()
        return "attached", None
    _revise(session, row, title, row.summary, article.text, now=now, outlets=outlets)
    return "attached", row


def _revise(
    session: Session,
    row: Item,
    title: str,
    summary: str,
    text: str,
    *,
    now: datetime,
    outlets: Outlets,
) -> None:
    """Keep the old title, summary and text as a revision; the item gets the new ones."""
    add_revision(session, row, now=now)
    row.title, row.summary, row.text = title, summary, text
    row.revision += 1
    row.updated_at = now
    row.content_hash = _fingerprint(title, text, outlets)
    row.title_key = title_key(title, outlets)
    session.flush()
