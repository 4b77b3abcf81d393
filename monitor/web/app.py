"""The Starlette application: HTML pages, Atom feeds and a JSON API over the archive.

Endpoints are plain functions run in Starlette's thread pool; each opens one short session.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
from monitor.db.engine import Database
from monitor.db.read.digests import get_digest, list_digests
from monitor.db.read.items import facet_values, item_detail, search
from monitor.db.read.overview import archive_totals, daily_theme_counts
from monitor.db.read.sources import source_health
from monitor.db.read.stories import list_stories, story_detail
from monitor.errors import MonitorError, QuerySyntaxError
from monitor.paths import templates_dir
from monitor.records import SearchPage
from monitor.search.export import iter_atom
from monitor.search.filters import SearchFilters, filters_from_params
from monitor.search.highlight import Highlighter, explanation_terms
from monitor.templating import make_environment, override_dir, qs
from monitor.web.chart import theme_chart
from monitor.web.ops import OpsEndpoints
from monitor.web.security import (
    AUTH_COOKIE,
    CSRF_COOKIE,
    CSRF_FIELD,
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

WEB_TEMPLATES = templates_dir() / "web"
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

    def __init__(self, config: AppConfig, db: Database) -> None:
        self.config = config
        self.db = db
        web = config.settings.web
        self.token = web.token.get_secret_value() if web.token else None
        self.auth = WebAuth(
            self.token,
            session_hours=web.session_hours,
            login_attempts=web.login_attempts,
            lockout_minutes=web.login_lockout_minutes,
        )
        self.page_size = web.page_size
        self.env = make_environment(WEB_TEMPLATES, override_dir(config.config_dir, "web"))
        self._facets: tuple[float, dict[str, list[str]]] | None = None

    # ----------------------------------------------------------------------- helpers

    def facets(self) -> dict[str, list[str]]:
        now = time.monotonic()
        if self._facets is None or now - self._facets[0] > FACETS_TTL_S:
            with self.db.session() as session:
                self._facets = (now, facet_values(session))
        return self._facets[1]

    def render(self, request: Request, name: str, *, status: int = 200, **ctx: Any) -> HTMLResponse:
        csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
        html = self.env.get_template(name).render(
            title=self.config.settings.digest.title,
            path=request.url.path,
            csrf_field=CSRF_FIELD,
            csrf_token=csrf,
            auth_enabled=bool(self.token),
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

    def run_search(self, filters: SearchFilters, page: int) -> SearchPage:
        with self.db.session() as session:
            return search(session, filters, page=page, page_size=self.page_size)

    # ----------------------------------------------------------------------- pages

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
        filters = SearchFilters()
        highlighter = Highlighter.build()
        try:
            filters = self.filters(request)
            node = filters.parsed()
            highlighter = Highlighter.build(node)
            result = self.run_search(filters, _int(request.query_params.get("page"), 1))
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
        )

    def item_page(self, request: Request) -> Response:
        item_id = int(request.path_params["item_id"])
        with self.db.session() as session:
            detail = item_detail(session, item_id)
        if detail is None:
            return self.not_found(request, "item")
        record, summary, explanation = detail.record, detail.summary, detail.explanation
        node = None
        try:
            q = request.query_params.get("q", "")
            node = SearchFilters(query=q).parsed() if q else None
        except QuerySyntaxError:
            node = None
        hl = Highlighter.build(node, explanation_terms(explanation))
        return self.render(
            request,
            "item.html",
            item=record,
            tags=detail.tags,
            summary=summary if summary and summary.strip() != record.text.strip() else "",
            explanation=explanation,
            explanation_json=json.dumps(explanation, ensure_ascii=False, indent=2)
            if explanation
            else "",
            hl=hl,
            story_title=detail.story_title,
        )

    def story_page(self, request: Request) -> Response:
        with self.db.session() as session:
            story = story_detail(session, int(request.path_params["story_id"]))
        if story is None:
            return self.not_found(request, "story")
        return self.render(request, "story.html", story=story, hl=Highlighter.build())

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
            with self.db.session() as session:
                result = search(session, filters, page_size=FEED_SIZE)
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
            page = self.run_search(filters, _int(request.query_params.get("page"), 1))
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
                "items": [r.to_dict() for r in page.records],
            }
        )

    def api_item(self, request: Request) -> Response:
        item_id = int(request.path_params["item_id"])
        with self.db.session() as session:
            detail = item_detail(session, item_id)
        if detail is None:
            return JSONResponse({"error": f"archive: no item {item_id}"}, status_code=404)
        return JSONResponse(detail.record.to_dict() | {"explanation": detail.explanation})

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
        if not self.token or not isinstance(given, str) or not self.auth.check(request, given):
            return self.render(
                request, "login.html", status=200, next=nxt, error="That token is not right."
            )
        response = RedirectResponse(nxt, status_code=303)
        response.set_cookie(
            AUTH_COOKIE,
            self.auth.sessions.create(),
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

    # ----------------------------------------------------------------------- routing

    def routes(self) -> list[BaseRoute]:
        page: Callable[..., Any]
        routes: list[BaseRoute] = []
        for path, page in (
            ("/", self.overview),
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
            Mount("/static", StaticFiles(directory=str(WEB_TEMPLATES / "static")), name="static"),
        ]
        return routes


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def create_app(config: AppConfig, db: Database, *, bind_host: str | None = None) -> Starlette:
    """The ASGI app over ``db``; the token (if any) comes from ``config.settings.web.token``.
    ``bind_host``: the address served on (default ``web.host``), answered besides loopback
    names and ``web.allowed_hosts``."""
    state = ArchiveApp(config, db)
    ops = OpsEndpoints(config, db)
    web = config.settings.web
    app = Starlette(
        routes=state.routes() + ops.routes(),
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
    return app
