"""Saved searches with a subscription, seen as recipients (``search:NAME``).

A saved search created in the web app or with ``monitor searches add`` may carry an address and a
mode: ``digest`` (its own digest on its schedule) or ``immediate`` (an alert for every new story
that matches). Such a search behaves like a configured recipient whose ``query`` and filters are
the search's, so it gets the same delivery guarantees.
"""

from __future__ import annotations

from pydantic import ValidationError

from monitor.config import AppConfig, RecipientAlerts, RecipientConfig, RecipientFilters
from monitor.db.engine import Database
from monitor.db.models import SavedSearch
from monitor.db.saved_searches import subscribed_searches

PREFIX = "search:"


def recipient_of(search: SavedSearch) -> RecipientConfig | None:
    """The recipient a subscribed search stands for (None when it has no usable address)."""
    if search.mode not in ("digest", "immediate") or not search.address:
        return None
    filters = search.filters or {}
    try:
        return RecipientConfig(
            name=f"{PREFIX}{search.name}",
            address=search.address,
            query=search.query or None,
            schedule=search.schedule,
            timezone=search.timezone,
            filters=RecipientFilters(
                themes=list(filters.get("themes") or []),
                languages=list(filters.get("languages") or []),
                min_score=filters.get("min_score"),
            ),
            alerts=RecipientAlerts(matches=search.mode == "immediate"),
        )
    except ValidationError:
        return None


def subscription_recipients(db: Database, mode: str | None = None) -> list[RecipientConfig]:
    """Recipients of the saved searches subscribed in ``mode`` (any mode when None)."""
    with db.session() as s:
        searches = subscribed_searches(s, mode)
        found = [recipient_of(search) for search in searches]
    return [r for r in found if r is not None]


def digest_recipients(config: AppConfig, db: Database) -> list[RecipientConfig]:
    """Who gets a digest on a schedule: configured recipients, then saved searches subscribed
    to a digest (a configured name wins)."""
    names = {r.name for r in config.settings.recipients}
    extra = [r for r in subscription_recipients(db, "digest") if r.name not in names]
    return [*config.settings.recipients, *extra]


def all_recipients(config: AppConfig, db: Database) -> list[RecipientConfig]:
    """Configured recipients, then saved-search subscriptions (a configured name wins)."""
    names = {r.name for r in config.settings.recipients}
    extra = [r for r in subscription_recipients(db) if r.name not in names]
    return [*config.settings.recipients, *extra]
