"""Saved searches: stored by name, each with a secret feed token and an optional subscription."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import SavedSearch

MODES = ("none", "digest", "immediate")


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


def save_search(
    session: Session,
    *,
    name: str,
    query: str,
    filters: dict[str, Any],
    created_by: str,
    mode: str = "none",
    address: str | None = None,
    schedule: str = "daily 07:00",
    timezone: str = "UTC",
    now: datetime | None = None,
) -> SavedSearch:
    """Create the search, or replace the query, filters and subscription of the one so named
    (its feed token stays, so feed readers keep working)."""
    row = session.scalars(select(SavedSearch).where(SavedSearch.name == name)).first()
    if row is None:
        row = SavedSearch(
            name=name, feed_token=new_feed_token(), created_at=now or datetime.now(UTC)
        )
        session.add(row)
    row.query = query
    row.filters = filters
    row.mode = mode
    row.address = address
    row.schedule = schedule
    row.timezone = timezone
    row.created_by = created_by
    session.flush()
    return row


def get_search(session: Session, name_or_id: str | int) -> SavedSearch | None:
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        row = session.get(SavedSearch, int(name_or_id))
        if row is not None:
            return row
    return session.scalars(select(SavedSearch).where(SavedSearch.name == str(name_or_id))).first()


def by_feed_token(session: Session, token: str) -> SavedSearch | None:
    if not token:
        return None
    return session.scalars(select(SavedSearch).where(SavedSearch.feed_token == token)).first()


def list_searches(session: Session) -> list[SavedSearch]:
    return list(session.scalars(select(SavedSearch).order_by(SavedSearch.name)))


def subscribed_searches(session: Session, mode: str | None = None) -> list[SavedSearch]:
    stmt = select(SavedSearch).where(SavedSearch.mode != "none").order_by(SavedSearch.id)
    if mode is not None:
        stmt = stmt.where(SavedSearch.mode == mode)
    return list(session.scalars(stmt))


def unsubscribe_search(session: Session, name_or_id: str | int) -> bool:
    """Drop the search's subscription (mode ``none``, no address); its feed stays."""
    row = get_search(session, name_or_id)
    if row is None:
        return False
    row.mode = "none"
    row.address = None
    return True


def delete_search(session: Session, name_or_id: str | int) -> bool:
    row = get_search(session, name_or_id)
    if row is None:
        return False
    session.delete(row)
    return True
