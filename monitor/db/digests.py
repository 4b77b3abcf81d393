"""Queries for digests: pending items per recipient, story context, digest and delivery records.

*Pending* for a recipient means: a relevant item that matches the recipient's filters, was first
seen inside the recipient's tracking window, and is not carried by any **sent** digest of that
recipient. Digests that were rendered but never accepted by the mail server (a crash, a permanent
SMTP failure) do not count, so their items stay pending until a digest carrying them is accepted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session, joinedload

from monitor.db.models import (
    CrawlRun,
    CrawlRunSource,
    Delivery,
    Digest,
    DigestItem,
    FetchState,
    Item,
    ItemTag,
    RecipientState,
    Source,
    Story,
)

SENT = "sent"
UNFINISHED = ("rendered", "sending")
CHUNK = 500

T = TypeVar("T")


def _chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class ItemFilter:
    """A recipient's filters as query terms (empty tuples = no restriction)."""

    themes: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    min_score: float | None = None


def _sent_to(recipient: str) -> ColumnElement[bool]:
    return exists(
        select(DigestItem.id)
        .join(Digest, Digest.id == DigestItem.digest_id)
        .where(
            DigestItem.item_id == Item.id,
            Digest.recipient == recipient,
            Digest.status == SENT,
        )
    )


def pending_items(
    session: Session,
    recipient: str,
    *,
    since: datetime | None,
    until: datetime,
    filters: ItemFilter,
) -> list[Item]:
    """Relevant items matching ``filters``, first seen in [since, until], not yet sent to ``recipient``.

    Ordered oldest first (so a capped digest leaves the newest items for the next one).
    """
    conditions: list[ColumnElement[bool]] = [
        Item.relevant.is_(True),
        Item.first_seen_at <= until,
        ~_sent_to(recipient),
    ]
    if since is not None:
        conditions.append(Item.first_seen_at >= since)
    if filters.min_score is not None:
        conditions.append(Item.score >= filters.min_score)
    if filters.languages:
        lang = func.coalesce(Item.language, Item.declared_language)
        conditions.append(lang.in_(filters.languages))
    if filters.themes:
        conditions.append(
            exists(
                select(ItemTag.id).where(
                    ItemTag.item_id == Item.id,
                    ItemTag.kind == "theme",
                    ItemTag.value.in_(filters.themes),
                )
            )
        )
    stmt = (
        select(Item)
        .options(joinedload(Item.source))
        .where(and_(*conditions))
        .order_by(Item.first_seen_at, Item.id)
    )
    return list(session.scalars(stmt).unique())


def stories_by_id(session: Session, story_ids: Sequence[int]) -> dict[int, Story]:
    out: dict[int, Story] = {}
    for chunk in _chunks(sorted(set(story_ids))):
        out.update({s.id: s for s in session.scalars(select(Story).where(Story.id.in_(chunk)))})
    return out


def story_items(session: Session, story_ids: Sequence[int], *, until: datetime) -> list[Item]:
    """Every relevant item of these stories first seen up to ``until`` (leads, copies, related)."""
    out: list[Item] = []
    for chunk in _chunks(sorted(set(story_ids))):
        stmt = (
            select(Item)
            .options(joinedload(Item.source))
            .where(
                Item.story_id.in_(chunk),
                Item.relevant.is_(True),
                Item.first_seen_at <= until,
            )
            .order_by(Item.first_seen_at, Item.id)
        )
        out.extend(session.scalars(stmt).unique())
    return out


def tags_for(session: Session, item_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """``item_id → [(kind, value), …]`` for themes and key figures."""
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for chunk in _chunks(sorted(set(item_ids))):
        rows = session.execute(
            select(ItemTag.item_id, ItemTag.kind, ItemTag.value)
            .where(ItemTag.item_id.in_(chunk))
            .order_by(ItemTag.item_id, ItemTag.id)
        )
        for item_id, kind, value in rows:
            out[item_id].append((kind, value))
    return dict(out)


def stories_sent_before(session: Session, recipient: str, story_ids: Sequence[int]) -> set[int]:
    """Stories of which some item already went out to ``recipient`` (shown as updates)."""
    out: set[int] = set()
    for chunk in _chunks(sorted(set(story_ids))):
        rows = session.scalars(
            select(DigestItem.story_id)
            .join(Digest, Digest.id == DigestItem.digest_id)
            .where(
                Digest.recipient == recipient,
                Digest.status == SENT,
                DigestItem.story_id.in_(chunk),
            )
            .distinct()
        )
        out.update(r for r in rows if r is not None)
    return out


@dataclass(frozen=True)
class FailedSource:
    name: str
    message: str
    at: datetime | None


def failed_sources(session: Session, since: datetime | None, until: datetime) -> list[FailedSource]:
    """Sources that failed in crawl runs started in the period, or recorded an error in it."""
    found: dict[str, FailedSource] = {}
    run_cond = [CrawlRunSource.status == "failed", CrawlRun.started_at <= until]
    if since is not None:
        run_cond.append(CrawlRun.started_at >= since)
    rows = session.execute(
        select(Source.name, CrawlRunSource.messages, CrawlRun.started_at)
        .join(CrawlRun, CrawlRun.id == CrawlRunSource.run_id)
        .join(Source, Source.id == CrawlRunSource.source_id)
        .where(*run_cond)
        .order_by(CrawlRun.started_at)
    )
    for name, messages, started in rows:
        text = str(messages[-1]) if messages else "failed"
        found[name] = FailedSource(name, text, started)
    state_cond = [FetchState.last_error_at.is_not(None), FetchState.last_error_at <= until]
    if since is not None:
        state_cond.append(FetchState.last_error_at >= since)
    rows2 = session.execute(
        select(Source.name, FetchState.last_error, FetchState.last_error_at)
        .join(Source, Source.id == FetchState.source_id)
        .where(*state_cond)
    )
    for name, error, at in rows2:
        prev = found.get(name)
        if prev is None or (prev.at is not None and at is not None and at > prev.at):
            found[name] = FailedSource(name, error or "failed", at)
    return sorted(found.values(), key=lambda f: f.name.casefold())


# --------------------------------------------------------------------------- recipient state


def recipient_state(session: Session, recipient: str) -> RecipientState | None:
    return session.get(RecipientState, recipient)


def ensure_recipient_state(session: Session, recipient: str, since: datetime) -> RecipientState:
    """The recipient's state row; a new one starts tracking at ``since``."""
    state = session.get(RecipientState, recipient)
    if state is None:
        state = RecipientState(recipient=recipient, tracking_since=since)
        session.add(state)
        session.flush()
    elif state.tracking_since is None:
        state.tracking_since = since
    return state


def last_sent_digest(session: Session, recipient: str) -> Digest | None:
    return session.scalars(
        select(Digest)
        .where(Digest.recipient == recipient, Digest.status == SENT)
        .order_by(Digest.period_end.desc(), Digest.id.desc())
        .limit(1)
    ).first()


# --------------------------------------------------------------------------- digests


def create_digest(
    session: Session, digest: Digest, items: Iterable[tuple[int, int | None]]
) -> Digest:
    """Insert a digest and its ``(item_id, story_id)`` links in the caller's transaction."""
    session.add(digest)
    session.flush()
    session.add_all(DigestItem(digest_id=digest.id, item_id=i, story_id=s) for i, s in items)
    session.flush()
    return digest


def unfinished_digests(session: Session, recipient: str) -> list[Digest]:
    """Digests left ``rendered`` or ``sending`` by a run that stopped before the outcome was known."""
    return list(
        session.scalars(
            select(Digest)
            .where(Digest.recipient == recipient, Digest.status.in_(UNFINISHED))
            .order_by(Digest.id)
        )
    )


def digest_item_ids(session: Session, digest_id: int) -> list[int]:
    return list(
        session.scalars(
            select(DigestItem.item_id)
            .where(DigestItem.digest_id == digest_id)
            .order_by(DigestItem.item_id)
        )
    )


def digest_row(session: Session, digest_id: int) -> Digest | None:
    """The digest's row, for the digest service to update (readers use :mod:`monitor.db.read`)."""
    return session.get(Digest, digest_id)


def record_delivery(
    session: Session,
    digest_id: int,
    *,
    outcome: str,
    code: int | None,
    message: str,
    at: datetime,
) -> Delivery:
    row = Delivery(
        digest_id=digest_id,
        outcome=outcome,
        smtp_code=code,
        message=message[:2000],
        attempted_at=at,
    )
    session.add(row)
    session.flush()
    return row


def mark_sent(session: Session, digest: Digest, at: datetime) -> None:
    """The server accepted ``digest``: its items are no longer pending for its recipient."""
    digest.status = SENT
    digest.sent_at = at
    digest.last_error = None
    state = session.get(RecipientState, digest.recipient)
    if state is None:
        state = RecipientState(recipient=digest.recipient, tracking_since=digest.period_start)
        session.add(state)
    if state.last_delivered_at is None or at >= state.last_delivered_at:
        state.last_delivered_at = at
        state.last_digest_id = digest.id


def items_by_ids(session: Session, item_ids: Sequence[int]) -> list[Item]:
    out: list[Item] = []
    for chunk in _chunks(sorted(set(item_ids))):
        stmt = select(Item).options(joinedload(Item.source)).where(Item.id.in_(chunk))
        out.extend(session.scalars(stmt).unique())
    return sorted(out, key=lambda i: (i.first_seen_at, i.id))
