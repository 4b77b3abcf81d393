"""Saved searches in the web app: "save this search", the list of them, and each one's Atom feed.

A search saved from the search page keeps its query, with the page's source, key-figure and
entity filters written into it as field operators (``source:"…"``, ``figure:"…"``,
``entity:"…"``), and its themes and languages as filters: so its feed, its digest and its alerts
all select the same reports. Dates, relevance and sort order are the page's view, not the
search's, and are not kept.

The feed (``/searches/feed/TOKEN.atom``) needs no login: its random token is the credential, as
in a private feed URL, so a feed reader can fetch it. Everything else needs what every page
needs (a session when a token guards the app), and every change is a CSRF-checked POST.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from monitor.config import RecipientConfig
from monitor.db import saved_searches as q
from monitor.db.models import SavedSearch
from monitor.db.read.searches import saved_search_feed, search_filters
from monitor.errors import MonitorError, QuerySyntaxError
from monitor.query import Node, parse_query
from monitor.search.export import SAVED_FEED_ROUTE, saved_feed_path
from monitor.search.filters import MAX_QUERY_LENGTH, SearchFilters, filters_from_params

if TYPE_CHECKING:
    from monitor.web.app import ArchiveApp

MAX_NAME = 80
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MODES = {"none": "feed only", "digest": "digest", "immediate": "an alert per new story"}


def saved_query(filters: SearchFilters) -> str:
    """The query a saved search keeps for ``filters``: the typed query and the source, key-figure
    and entity filters as field operators (several values of one filter: any of them)."""
    parts = [f"({filters.query.strip()})"] if filters.query.strip() else []
    for field, values in (
        ("source", filters.sources),
        ("figure", filters.figures),
        ("entity", filters.entities),
    ):
        names = [v.replace('"', " ").strip() for v in values]
        terms = [f'{field}:"{n}"' for n in names if n]
        if len(terms) == 1:
            parts.append(terms[0])
        elif terms:
            parts.append("(" + " OR ".join(terms) + ")")
    if len(parts) == 1 and filters.query.strip():
        return filters.query.strip()  # the query alone, as typed
    return " ".join(parts)


@dataclass(frozen=True)
class SavedRow:
    """One saved search as the list page shows it."""

    id: int
    name: str
    query: str
    themes: tuple[str, ...]
    languages: tuple[str, ...]
    mode: str
    address: str
    schedule: str
    timezone: str
    feed_path: str
    search_params: dict[str, str | list[str]]
    created_by: str


class SavedSearchPages:
    """The saved-search endpoints of one :class:`~monitor.web.app.ArchiveApp`."""

    def __init__(self, app: ArchiveApp) -> None:
        self.app = app

    # ----------------------------------------------------------------------- pages

    def list_page(self, request: Request) -> Response:
        with self.app.db.session() as session:
            rows = [
                SavedRow(
                    id=r.id,
                    name=r.name,
                    query=r.query,
                    themes=tuple(str(v) for v in (r.filters or {}).get("themes") or ()),
                    languages=tuple(str(v) for v in (r.filters or {}).get("languages") or ()),
                    mode=r.mode,
                    address=r.address or "",
                    schedule=r.schedule,
                    timezone=r.timezone,
                    feed_path=saved_feed_path(r.feed_token),
                    search_params=search_filters(r).as_params(),
                    created_by=r.created_by,
                )
                for r in q.list_searches(session)
            ]
        base = self.app.config.settings.web.public_url or str(request.base_url)
        return self.app.render(
            request, "searches.html", searches=rows, modes=MODES, feed_base=base.rstrip("/")
        )

    def feed(self, request: Request) -> Response:
        token = request.path_params["token"]
        base = self.app.config.settings.web.public_url or str(request.base_url)

        def node_of(filters: SearchFilters) -> Node | None:
            return self.app.expand(filters)[0]

        try:
            with self.app.db.session() as session:
                body = saved_search_feed(
                    session,
                    token,
                    base_url=base,
                    title=self.app.config.settings.digest.title,
                    node_of=node_of,
                )
        except MonitorError as exc:  # a query that no longer parses
            return PlainTextResponse(f"saved search: {exc}", status_code=500)
        if body is None:
            return PlainTextResponse("no saved search has this feed address", status_code=404)
        return Response(
            body,
            media_type="application/atom+xml; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"},
        )

    # ----------------------------------------------------------------------- actions

    async def save(self, request: Request) -> Response:
        """Save the search posted from the search page (a name replaces the search so named,
        which keeps its feed address)."""
        form, refused = await self.app.posted(request)
        if refused:
            return refused
        name = _CONTROL.sub("", str(form.get("name") or "")).strip()
        if not name or len(name) > MAX_NAME:
            return self.app.failed(
                request, f"web: a saved search needs a name of 1 to {MAX_NAME} characters", 400
            )
        try:
            filters = filters_from_params(form.get, form.getlist)
        except MonitorError as exc:
            return self.app.failed(request, str(exc), 400)
        query = saved_query(filters)
        if not query and not filters.themes and not filters.languages:
            return self.app.failed(
                request,
                "web: a saved search needs a query or a filter (it would match everything)",
                400,
            )
        try:
            if query:
                parse_query(query, max_length=MAX_QUERY_LENGTH)  # as the feed will
        except QuerySyntaxError as exc:
            return self.app.failed(request, f"web: {exc}", 400)
        mode = str(form.get("mode") or "none")
        if mode not in MODES:
            return self.app.failed(request, "web: mode must be none, digest or immediate", 400)
        address = str(form.get("email") or "").strip() or None
        schedule = str(form.get("schedule") or "").strip() or "daily 07:00"
        timezone = str(form.get("timezone") or "").strip() or "UTC"
        if mode != "none":
            if address is None:
                return self.app.failed(request, "web: a subscription needs an email address", 400)
            try:  # the checks of a configured recipient (address, schedule, time zone)
                RecipientConfig(name=name, address=address, schedule=schedule, timezone=timezone)
            except ValidationError as exc:
                problems = "; ".join(str(e.get("msg", "")) for e in exc.errors())
                return self.app.failed(request, f"web: subscription: {problems}", 400)
        else:
            address = None
        with self.app.db.session() as session:
            replaced = session.scalar(select(SavedSearch.id).where(SavedSearch.name == name))
            q.save_search(
                session,
                name=name,
                query=query,
                filters={"themes": list(filters.themes), "languages": list(filters.languages)},
                created_by=self.app.reader_name(request),
                mode=mode,
                address=address,
                schedule=schedule,
                timezone=timezone,
            )
        return self.app.done(
            request, form, "search_replaced" if replaced else "search_saved", "/searches", name=name
        )

    async def change(self, request: Request) -> Response:
        """Unsubscribe (the search and its feed stay) or remove a saved search."""
        form, refused = await self.app.posted(request)
        if refused:
            return refused
        search_id = int(request.path_params["search_id"])
        action = request.path_params["action"]
        if action not in ("unsubscribe", "remove"):
            return self.app.failed(request, "web: the action must be unsubscribe or remove", 404)
        with self.app.db.session() as session:
            row = session.get(SavedSearch, search_id)
            if row is None:
                return self.app.failed(request, f"web: no saved search {search_id}", 404)
            if action == "remove":
                q.delete_search(session, search_id)
            else:
                q.unsubscribe_search(session, search_id)
        note = "search_removed" if action == "remove" else "search_unsubscribed"
        return self.app.done(request, form, note, "/searches")

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/searches", self.list_page, methods=["GET", "HEAD"]),
            Route("/searches", self.save, methods=["POST"]),
            Route(SAVED_FEED_ROUTE, self.feed, methods=["GET", "HEAD"]),
            Route("/searches/{search_id:int}/{action:str}", self.change, methods=["POST"]),
        ]
