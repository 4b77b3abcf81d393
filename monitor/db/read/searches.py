"""Saved searches as the web app and the CLI show them, and each one's Atom feed."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from monitor.db.models import SavedSearch
from monitor.db.read.items import search
from monitor.db.saved_searches import by_feed_token
from monitor.query import Node
from monitor.search.export import saved_search_atom
from monitor.search.filters import SearchFilters

FEED_SIZE = 50


def search_filters(row: SavedSearch) -> SearchFilters:
    """The archive search a saved search stands for (its query and list filters)."""
    f = row.filters or {}

    def values(key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in f.get(key) or ())

    return SearchFilters(
        query=row.query,
        sources=values("sources"),
        languages=values("languages"),
        themes=values("themes"),
        figures=values("figures"),
        entities=values("entities"),
    )


def saved_search_feed(
    session: Session,
    token: str,
    *,
    base_url: str,
    title: str,
    size: int = FEED_SIZE,
    node_of: Callable[[SearchFilters], Node | None] | None = None,
) -> str | None:
    """The Atom feed of the saved search with this feed token (its newest ``size`` matching
    items), or None when no search has that token. ``base_url`` is the web app's address;
    ``node_of`` gives the query to run for the search's filters (default: its query as written;
    the web app widens names to every language, as its search page does)."""
    row = by_feed_token(session, token)
    if row is None:
        return None
    filters = search_filters(row)
    node = node_of(filters) if node_of is not None else None
    page = search(session, filters, page_size=size, node=node)
    return saved_search_atom(
        page.records,
        title=title,
        name=row.name,
        token=row.feed_token,
        search_params=filters.as_params(),
        base_url=base_url,
        updated=max((r.first_seen_at for r in page.records), default=row.created_at),
    )
