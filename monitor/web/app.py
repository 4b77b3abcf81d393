"""The Starlette application: HTML pages, Atom feeds and a JSON API over the archive.

Pages: the river of stories (``/``), the overview chart (``/overview``), search grouped by story,
story, item, sources and digests; actions (:mod:`monitor.web.actions`) are CSRF-protected POSTs.
Endpoints are plain functions run in Starlette's thread pool; each opens one short session.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from monitor.config import AppConfig
from monitor.db import readers
from monitor.db.engine import Database
from monitor.db.labels import labels_of
from monitor.db.read.digests import get_digest, list_digests
from monitor.db.read.items import facet_values, item_detail, search, search_grouped
from monitor.db.read.overview import archive_totals, daily_theme_counts
from monitor.db.read.river import VIEWS, View, river
from monitor.db.read.sources import source_health
from monitor.db.read.stories import list_stories, story_detail
from monitor.db.sources import due_now, set_enabled, source_name
from monitor.dedup import service as dedup_service
from monitor.errors import MonitorError, QuerySyntaxError
from monitor.explanation import Explanation, UnreadableExplanation, stored_to_json
from monitor.paths import templates_dir
from monitor.query import Node
from monitor.relevance.names import Expansion, NameTable
from monitor.relevance.terms import body_sentences
from monitor.relevance.topic import Topic, load_topic
from monitor.search.export import iter_atom
from monitor.search.filters import SearchFilters, filters_from_params
from monitor.search.highlight import Highlighter
from monitor.templating import make_environment, override_dir, qs
from monitor.web.actions import crawl_running, start_source_crawl
from monitor.web.chart import theme_chart
from monitor.web.labels import LabelActions
from monitor.web.ops import OpsEndpoints
from monitor.web.saved import SavedSearchPages
from monitor.web.security import (
    AUTH_COOKIE,
    CSRF_COOKIE,
    CSRF_FIELD,
    DEFAULT_READER,
    DIGEST_CSP,
    AuthMiddleware,
    HostCheckMiddleware,
    SecurityHeadersMiddleware,
    WebAuth,
    allowed_hosts,
    csrf_ok,
    new_csrf_token,
    safe_next,
)

log = logging.getLogger(__name__)

WEB_TEMPLATES = templates_dir() / "web"
# what an action tells the page it returns to (fixed texts: a link cannot make the page say more)
NOTES = {
    "read": "Marked as read.",
    "unread": "Marked as unread.",
    "star": "Starred.",
    "unstar": "Star removed.",
    "split": "Moved into a new story.",
    "enabled": "Source enabled.",
    "disabled": "Source disabled.",
    "retry_started": "Source due now; a crawl of it has started. Reload in a minute.",
    "retry_queued": "Source due now; a crawl is running, the next one fetches it.",
    "retry_waiting": "Source due now, but the site asked to wait (Retry-After); it is fetched then.",
    "search_saved": "Search saved. Its feed address is below.",
    "search_replaced": "Search saved, replacing the one of that name (its feed address stays).",
    "search_unsubscribed": "Subscription ended; the search and its feed stay.",
    "search_removed": "Saved search removed; its feed address no longer works.",
    "relevant": "Labelled relevant.",
    "not_relevant": "Labelled not relevant.",
    "same_story": "Labelled the same story; the other report joined this story.",
    "not_same_story": "Labelled not the same story; the report was moved out of this story.",
}
MAX_PAGE = 400
FEED_SIZE = 50
FACETS_TTL_S = 300.0
CHART_DAYS = 30


def _int(value: str | None, default: int, *, lo: int = 1, hi: int = MAX_PAGE) -> int:
    try:
        return min(max(int(value or default), lo), hi)
    except ValueError:
        return default


class ArchiveApp:
    """Holds what the endpoints share: config, archive, templates and a small facet cache."""

    def __init__(
        self,
        config: AppConfig,
        db: Database,
        *,
        env: Mapping[str, str] | None = None,
        child_env: Mapping[str, str] | None = None,
    ) -> None:
        """``env``: where reader tokens are read (default: the process environment);
        ``child_env``: the environment of crawls started by "retry now" (default: inherited)."""
        self.config = config
        self.db = db
        web = config.settings.web
        self.token = web.token.get_secret_value() if web.token else None
        self.auth = WebAuth(
            self.token,
            readers=web.reader_tokens(os.environ if env is None else env),
            session_hours=web.session_hours,
            login_attempts=web.login_attempts,
            lockout_minutes=web.login_lockout_minutes,
        )
        self.child_env = child_env
        self.page_size = web.page_size
        self.env = make_environment(WEB_TEMPLATES, override_dir(config.config_dir, "web"))
        self._facets: tuple[float, dict[str, list[str]]] | None = None
        self._topic: Topic | bool | None = False  # False: not loaded yet
        self._names: NameTable | None = None
        self._reader_ids: dict[str, int] = {}

    # ----------------------------------------------------------------------- helpers

    def facets(self) -> dict[str, list[str]]:
        now = time.monotonic()
        if self._facets is None or now - self._facets[0] > FACETS_TTL_S:
            with self.db.session() as session:
                self._facets = (now, facet_values(session))
        return self._facets[1]

    def topic(self) -> Topic | None:
        """The configured topic (None: unreadable, logged once)."""
        if self._topic is False:
            try:
                self._topic = load_topic(self.config.topic_path)
            except MonitorError as exc:
                log.warning("Topic unreadable (cross-language search and labels off): %s", exc)
                self._topic = None
        return self._topic if isinstance(self._topic, Topic) else None

    def names(self) -> NameTable | None:
        """The topic's key figures and entities across languages (None: topic unreadable)."""
        topic = self.topic()
        if topic is not None and self._names is None:
            self._names = NameTable.from_topic(topic)
        return self._names if topic is not None else None

    def side_labels(self) -> dict[str, str]:
        """The topic's side names → their labels (``iran`` → ``Iran``)."""
        topic = self.topic()
        return {name: side.label for name, side in topic.sides.items()} if topic else {}

    def expand(self, filters: SearchFilters) -> tuple[Node | None, Expansion | None]:
        """The query to run: with key figures and entities widened to every language, unless
        ``filters.cross_language`` is off (raises QuerySyntaxError)."""
        node = filters.parsed()
        names = self.names()
        if node is None or names is None or not filters.cross_language:
            return node, None
        expansion = names.expand(node)
        return expansion.node, expansion if expansion.names else None

    @staticmethod
    def reader_name(request: Request) -> str:
        return cast(str, getattr(request.state, "reader", DEFAULT_READER))

    def reader_id(self, request: Request) -> int:
        name = self.reader_name(request)
        found = self._reader_ids.get(name)
        if found is None:
            with self.db.session() as session:
                found = self._reader_ids[name] = readers.reader_id(session, name)
        return found

    def render(self, request: Request, name: str, *, status: int = 200, **ctx: Any) -> HTMLResponse:
        csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
        note = request.query_params.get("note", "")
        html = self.env.get_template(name).render(
            title=self.config.settings.digest.title,
            path=request.url.path,
            csrf_field=CSRF_FIELD,
            csrf_token=csrf,
            auth_enabled=bool(self.auth.tokens),
            reader=self.reader_name(request),
            named_readers=bool(self.config.settings.web.readers),
            note=NOTES.get(note, ""),
            here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **ctx,
        )
        response = HTMLResponse(html, status_code=status)
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(
                CSRF_COOKIE,
                csrf,
                httponly=True,
                samesite="strict",
                path="/",
                secure=_https(request),
            )
        return response

    def not_found(self, request: Request, what: str) -> HTMLResponse:
        return self.render(request, "error.html", status=404, message=f"No {what} here.")

    @staticmethod
    def filters(request: Request) -> SearchFilters:
        q = request.query_params
        return filters_from_params(q.get, q.getlist)

    # ----------------------------------------------------------------------- pages

    def river_page(self, request: Request) -> Response:
        view = request.query_params.get("view", "all")
        if view not in VIEWS:
            view = "all"
        reader = self.reader_id(request)
        since = None
        try:
            with self.db.session() as session:
                since = readers.touch_visit(session, reader, datetime.now(UTC))
        except OperationalError as exc:  # a busy archive: show the page without the visit
            log.warning("Visit not recorded reader=%s: %s", reader, exc.orig)
        with self.db.session() as session:
            page = river(
                session,
                reader,
                view=cast(View, view),
                page=_int(request.query_params.get("page"), 1),
                page_size=self.page_size,
                since=since,
            )
        return self.render(request, "river.html", river=page, hl=Highlighter.build(), views=VIEWS)

    def overview(self, request: Request) -> Response:
        today = datetime.now(UTC).date()
        with self.db.session() as session:
            counts = daily_theme_counts(session, days=CHART_DAYS, today=today)
            totals = archive_totals(session)
            stories = list_stories(session, limit=10)
        return self.render(
            request,
            "overview.html",
            chart=theme_chart(counts, days=CHART_DAYS, today=today),
            totals=totals,
            stories=stories,
            chart_days=CHART_DAYS,
        )

    def search_page(self, request: Request) -> Response:
        error = None
        result = None
        expansion = None
        filters = SearchFilters()
        highlighter = Highlighter.build()
        try:
            filters = self.filters(request)
            node, expansion = self.expand(filters)
            highlighter = Highlighter.build(node)
            with self.db.session() as session:
                result = search_grouped(
                    session,
                    filters,
                    page=_int(request.query_params.get("page"), 1),
                    page_size=self.page_size,
                    node=node,
                )
        except QuerySyntaxError as exc:
            error = str(exc)
            filters = SearchFilters(query=request.query_params.get("q", "")[:2000])
        except MonitorError as exc:
            error = str(exc)
        return self.render(
            request,
            "search.html",
            filters=filters,
            params=filters.as_params(),
            result=result,
            error=error,
            facets=self.facets(),
            hl=highlighter,
            expansion=expansion,
        )

    def item_page(self, request: Request) -> Response:
        item_id = int(request.path_params["item_id"])
        with self.db.session() as session:
            detail = item_detail(session, item_id)
            labels = labels_of(session, [item_id])
        if detail is None:
            return self.not_found(request, "item")
        record, summary, explanation = detail.record, detail.summary, detail.explanation
        node = None
        try:
            q = request.query_params.get("q", "")
            node = SearchFilters(query=q).parsed() if q else None
        except QuerySyntaxError:
            node = None
        readable = explanation if isinstance(explanation, Explanation) else None
        hl = Highlighter.build(node, readable.matched_forms() if readable else [])
        sentences = body_sentences(record.text)
        return self.render(
            request,
            "item.html",
            item=record,
            sentences=sentences,
            tags=detail.tags,
            summary=summary if summary and summary.strip() != record.text.strip() else "",
            explanation=readable,
            side_labels=self.side_labels(),
            explanation_problem=explanation.advice
            if isinstance(explanation, UnreadableExplanation)
            else "",
            explanation_json=json.dumps(stored_to_json(readable), ensure_ascii=False, indent=2)
            if readable
            else "",
            hl=hl,
            story_title=detail.story_title,
            date_text=detail.date_text,
            label=labels.relevance.get(item_id),
            pair_labels=labels.pairs_of(item_id),
        )

    def story_page(self, request: Request) -> Response:
        story_id = int(request.path_params["story_id"])
        with self.db.session() as session:
            story = story_detail(session, story_id)
            labels = labels_of(session, [m.item.id for m in story.members] if story else [])
        if story is None:
            return self.not_found(request, "story")
        try:  # opening a story reads it
            with self.db.session() as session:
                readers.mark_read(
                    session,
                    self.reader_id(request),
                    [m.item.id for m in story.members],
                    read=True,
                    now=datetime.now(UTC),
                )
        except OperationalError as exc:
            log.warning("Read state not recorded story=%s: %s", story_id, exc.orig)
        timeline = sorted(story.members, key=lambda m: (m.time, m.item.id))
        return self.render(
            request,
            "story.html",
            story=story,
            timeline=timeline,
            hl=Highlighter.build(),
            labels=labels,
        )

    def sources_page(self, request: Request) -> Response:
        with self.db.session() as session:
            sources = source_health(session)
        return self.render(request, "sources.html", sources=sources)

    def digests_page(self, request: Request) -> Response:
        with self.db.session() as session:
            digests = list_digests(session, limit=100)
        return self.render(request, "digests.html", digests=digests)

    def digest_page(self, request: Request) -> Response:
        with self.db.session() as session:
            digest = get_digest(session, int(request.path_params["digest_id"]))
        if digest is None:
            return self.not_found(request, "digest")
        has_html = bool(digest.html_path and Path(digest.html_path).is_file())
        return self.render(request, "digest.html", digest=digest, has_html=has_html)

    def digest_html(self, request: Request) -> Response:
        with self.db.session() as session:
            digest = get_digest(session, int(request.path_params["digest_id"]))
        path = Path(digest.html_path) if digest and digest.html_path else None
        if path is None or not path.is_file() or path.suffix.lower() not in (".html", ".htm"):
            return PlainTextResponse("digest page not found", status_code=404)
        return HTMLResponse(
            path.read_text(encoding="utf-8", errors="replace"),
            headers={"Content-Security-Policy": DIGEST_CSP},
        )

    # ----------------------------------------------------------------------- feed

    def feed(self, request: Request) -> Response:
        try:
            filters = self.filters(request)
            node, _ = self.expand(filters)
            with self.db.session() as session:
                result = search(session, filters, page_size=FEED_SIZE, node=node)
        except MonitorError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        base = str(request.base_url)
        params = filters.as_params()
        title = self.config.settings.digest.title + (f": {filters.query}" if filters.query else "")
        body = "".join(
            iter_atom(
                result.records,
                title=title,
                feed_id=str(request.url),
                self_url=str(request.url),
                alternate_url=base + "search?" + qs(params),
                item_url_prefix=base + "items/",
                updated=max((r.first_seen_at for r in result.records), default=None),
            )
        )
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    # ----------------------------------------------------------------------- API

    def api_search(self, request: Request) -> Response:
        try:
            filters = self.filters(request)
            node, expansion = self.expand(filters)
            with self.db.session() as session:
                page = search(
                    session,
                    filters,
                    page=_int(request.query_params.get("page"), 1),
                    page_size=self.page_size,
                    node=node,
                )
        except QuerySyntaxError as exc:
            return JSONResponse({"error": str(exc), "position": exc.position}, status_code=400)
        except MonitorError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(
            {
                "query": filters.query,
                "filters": filters.as_params(),
                "page": page.page,
                "page_size": page.page_size,
                "total": page.total,
                "total_capped": page.capped,
                "has_next": page.has_next,
                "expanded": [
                    {"kind": m.kind, "name": m.name, "typed": m.typed, "forms": list(m.forms)}
                    for m in (expansion.names if expansion else ())
                ],
                "items": [r.to_dict() for r in page.records],
            }
        )

    def api_item(self, request: Request) -> Response:
        item_id = int(request.path_params["item_id"])
        with self.db.session() as session:
            detail = item_detail(session, item_id)
        if detail is None:
            return JSONResponse({"error": f"archive: no item {item_id}"}, status_code=404)
        return JSONResponse(
            detail.record.to_dict() | {"explanation": stored_to_json(detail.explanation)}
        )

    def api_story(self, request: Request) -> Response:
        story_id = int(request.path_params["story_id"])
        with self.db.session() as session:
            story = story_detail(session, story_id)
        if story is None:
            return JSONResponse({"error": f"archive: no story {story_id}"}, status_code=404)
        return JSONResponse(story.to_dict())

    def api_sources(self, request: Request) -> Response:
        with self.db.session() as session:
            sources = source_health(session)
        return JSONResponse({"sources": [s.to_dict() for s in sources]})

    # ----------------------------------------------------------------------- login

    def login_form(self, request: Request) -> Response:
        return self.render(
            request, "login.html", next=safe_next(request.query_params.get("next")), error=None
        )

    async def login_submit(self, request: Request) -> Response:
        form = await request.form()
        csrf = form.get(CSRF_FIELD)
        nxt = safe_next(str(form.get("next") or "/"))
        if not csrf_ok(request, csrf if isinstance(csrf, str) else None):
            return PlainTextResponse(
                "web: the form expired or came from another site; reload the login page",
                status_code=403,
            )
        wait = self.auth.wait_s(request)
        if wait:
            minutes = max(1, round(wait / 60))
            refused = self.render(
                request,
                "login.html",
                status=429,
                next=nxt,
                error=f"Too many wrong tokens from this address; try again in {minutes} min.",
            )
            refused.headers["Retry-After"] = str(int(wait) + 1)
            return refused
        given = form.get("token")
        reader = (
            self.auth.check(request, given) if self.auth.tokens and isinstance(given, str) else None
        )
        if reader is None:
            return self.render(
                request, "login.html", status=200, next=nxt, error="That token is not right."
            )
        response = RedirectResponse(nxt, status_code=303)
        response.set_cookie(
            AUTH_COOKIE,
            self.auth.sessions.create(reader),
            max_age=self.auth.session_max_age,
            httponly=True,
            samesite="strict",
            path="/",
            secure=_https(request),
        )
        return response

    async def logout(self, request: Request) -> Response:
        form = await request.form()
        csrf = form.get(CSRF_FIELD)
        if not csrf_ok(request, csrf if isinstance(csrf, str) else None):
            return PlainTextResponse("web: the form came from another site", status_code=403)
        self.auth.sessions.revoke(request.cookies.get(AUTH_COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(AUTH_COOKIE, path="/")
        return response

    # ----------------------------------------------------------------------- actions

    async def posted(self, request: Request) -> tuple[Any, Response | None]:
        """The form of a POST, or the refusal when its CSRF token or origin is wrong."""
        form = await request.form()
        csrf = form.get(CSRF_FIELD)
        if not csrf_ok(request, csrf if isinstance(csrf, str) else None):
            return form, PlainTextResponse(
                "web: the form expired or came from another site; reload the page and try again",
                status_code=403,
            )
        return form, None

    @staticmethod
    def done(request: Request, form: Any, note: str, fallback: str, **data: Any) -> Response:
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"ok": True, "note": NOTES.get(note, note), **data})
        target = safe_next(str(form.get("next") or fallback))
        joiner = "&" if "?" in target else "?"
        target = target.split("#")[0]
        return RedirectResponse(f"{target}{joiner}note={note}", status_code=303)

    @staticmethod
    def failed(request: Request, message: str, status: int) -> Response:
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"ok": False, "error": message}, status_code=status)
        return PlainTextResponse(message, status_code=status)

    async def mark(self, request: Request) -> Response:
        """Read, unread, star or unstar a story (all its reports) or one report."""
        form, refused = await self.posted(request)
        if refused:
            return refused
        state = str(form.get("state") or "")
        if state not in ("read", "unread", "star", "unstar"):
            return self.failed(request, "web: state must be read, unread, star or unstar", 400)
        story_id = request.path_params.get("story_id")
        item_id = request.path_params.get("item_id")
        reader = self.reader_id(request)
        now = datetime.now(UTC)
        with self.db.session() as session:
            if story_id is not None:
                ids = readers.story_item_ids(session, int(story_id))
                if not ids:
                    return self.failed(request, f"web: no story {story_id}", 404)
                if state == "star":
                    story = story_detail(session, int(story_id))
                    lead = story.lead if story else None
                    ids = [lead.id] if lead else ids[:1]
            else:
                ids = [int(item_id)] if item_id is not None else []
            if state in ("read", "unread"):
                readers.mark_read(session, reader, ids, read=state == "read", now=now)
            else:
                readers.set_starred(session, reader, ids, starred=state == "star", now=now)
        return self.done(request, form, state, "/", state=state)

    async def split_story(self, request: Request) -> Response:
        """Move the chosen reports out of a story into a new one (``monitor stories split``)."""
        form, refused = await self.posted(request)
        if refused:
            return refused
        story_id = int(request.path_params["story_id"])
        try:
            item_ids = [int(v) for v in form.getlist("item") if str(v).strip()]
        except ValueError:
            return self.failed(request, "web: item must be an item number", 400)
        try:
            new_id = dedup_service.split(self.db, story_id, item_ids)
        except MonitorError as exc:
            return self.failed(request, str(exc), 400)
        return self.done(request, form, "split", f"/stories/{new_id}", story=new_id)

    async def source_action(self, request: Request) -> Response:
        """Enable, disable or retry a source now."""
        form, refused = await self.posted(request)
        if refused:
            return refused
        source_id = int(request.path_params["source_id"])
        action = request.path_params["action"]
        if action not in ("enable", "disable", "retry"):
            return self.failed(request, "web: the action must be enable, disable or retry", 404)
        now = datetime.now(UTC)
        waiting = None
        with self.db.session() as session:
            name = source_name(session, source_id)
            if name is None:
                return self.failed(request, f"web: no source {source_id}", 404)
            if action in ("enable", "disable"):
                set_enabled(session, name, action == "enable")
                note = f"{action}d"
            else:
                waiting = due_now(session, source_id, now)
        if action == "retry":
            if waiting is not None:
                note = "retry_waiting"
            elif crawl_running(self.db, self.config):
                note = "retry_queued"
            else:
                start_source_crawl(self.config, name, self.child_env)
                note = "retry_started"
        return self.done(request, form, note, "/sources", source=name)

    # ----------------------------------------------------------------------- routing

    def routes(self) -> list[BaseRoute]:
        page: Callable[..., Any]
        routes: list[BaseRoute] = []
        for path, page in (
            ("/", self.river_page),
            ("/overview", self.overview),
            ("/search", self.search_page),
            ("/items/{item_id:int}", self.item_page),
            ("/stories/{story_id:int}", self.story_page),
            ("/sources", self.sources_page),
            ("/digests", self.digests_page),
            ("/digests/{digest_id:int}", self.digest_page),
            ("/digests/{digest_id:int}/html", self.digest_html),
            ("/feed.atom", self.feed),
            ("/api/search", self.api_search),
            ("/api/items/{item_id:int}", self.api_item),
            ("/api/stories/{story_id:int}", self.api_story),
            ("/api/sources", self.api_sources),
        ):
            routes.append(Route(path, page, methods=["GET", "HEAD"]))
        routes += [
            Route("/login", self.login_form, methods=["GET"]),
            Route("/login", self.login_submit, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/stories/{story_id:int}/mark", self.mark, methods=["POST"]),
            Route("/items/{item_id:int}/mark", self.mark, methods=["POST"]),
            Route("/stories/{story_id:int}/split", self.split_story, methods=["POST"]),
            Route(
                "/sources/{source_id:int}/{action:str}",
                self.source_action,
                methods=["POST"],
            ),
            Mount("/static", StaticFiles(directory=str(WEB_TEMPLATES / "static")), name="static"),
        ]
        return routes


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def create_app(
    config: AppConfig,
    db: Database,
    *,
    bind_host: str | None = None,
    env: Mapping[str, str] | None = None,
    child_env: Mapping[str, str] | None = None,
) -> Starlette:
    """The ASGI app over ``db``; the token (if any) comes from ``config.settings.web.token``,
    named readers' tokens from ``env`` (default: the process environment). ``bind_host``: the
    address served on (default ``web.host``), answered besides loopback names and
    ``web.allowed_hosts``. ``child_env``: the environment of crawls started from the pages."""
    state = ArchiveApp(config, db, env=env, child_env=child_env)
    ops = OpsEndpoints(config, db)
    web = config.settings.web
    routes = SavedSearchPages(state).routes() + LabelActions(state).routes() + state.routes()
    app = Starlette(
        routes=routes + ops.routes(),
        middleware=[
            Middleware(
                HostCheckMiddleware, allowed=allowed_hosts(web.allowed_hosts, bind_host or web.host)
            ),
            Middleware(SecurityHeadersMiddleware),
            ops.gate(),
            Middleware(AuthMiddleware, auth=state.auth),
        ],
    )
    app.state.auth = state.auth
    app.state.db = db
    app.state.config = config
    return app
