"""The web app's operations endpoints: ``/healthz`` and ``/metrics``.

- ``/healthz`` answers without a login, as it shows nothing of the archive's content: JSON with
  ``status`` (``ok``, ``degraded`` when no scheduler heartbeat is fresh, ``unavailable`` when the
  archive does not answer), the database, the scheduler's heartbeat age and the number of failing
  sources. HTTP 200 while the archive answers, 503 when it does not; ``?require=scheduler`` also
  answers 503 while no ``monitor run`` is alive (for a check that should page then).
- ``/metrics`` is the Prometheus text format (:mod:`monitor.web.metrics`). With a token set it
  needs the token like every page (a scraper sends ``Authorization: Bearer TOKEN``), unless
  ``web.metrics_public`` opens it.

Both pass the host check and carry the security headers; :class:`OpsGate` answers the open ones
before the login check.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from monitor.config import AppConfig
from monitor.db.engine import Database
from monitor.web.health import check_health
from monitor.web.metrics import ArchiveCollector
from monitor.web.security import AUTH_COOKIE

NO_STORE = {"Cache-Control": "no-store"}


class OpsGate:
    """Ahead of the login check: answers the open endpoints itself; for a protected one asked
    without any credential (no ``Authorization`` header, no login cookie) answers 401, which a
    scraper understands, instead of the login page a browser gets."""

    def __init__(
        self, app: ASGIApp, open_routes: list[BaseRoute], protected: frozenset[str]
    ) -> None:
        self.app = app
        self.open_paths = {getattr(route, "path", "") for route in open_routes}
        self.protected = protected
        self.router = Router(routes=open_routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if scope["type"] == "http" and path in self.open_paths:
            await self.router(scope, receive, send)
            return
        if scope["type"] == "http" and path in self.protected:
            request = Request(scope)
            if "authorization" not in request.headers and AUTH_COOKIE not in request.cookies:
                response = JSONResponse(
                    {"error": f"web: {path} needs the token (Authorization: Bearer TOKEN)"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer", **NO_STORE},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class OpsEndpoints:
    """``/healthz`` and ``/metrics`` over one archive."""

    def __init__(self, config: AppConfig, db: Database) -> None:
        self.db = db
        self.registry = CollectorRegistry()
        self.registry.register(ArchiveCollector(db))
        self.metrics_public = config.settings.web.metrics_public
        self.token_set = config.settings.web.token is not None

    def healthz(self, request: Request) -> JSONResponse:
        report = check_health(self.db, datetime.now(UTC))
        failing = not report.database_ok or (
            request.query_params.get("require") == "scheduler" and not report.scheduler_running
        )
        return JSONResponse(report.as_dict(), status_code=503 if failing else 200, headers=NO_STORE)

    def metrics(self, request: Request) -> Response:
        return Response(
            generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/healthz", self.healthz, methods=["GET", "HEAD"]),
            Route("/metrics", self.metrics, methods=["GET"]),
        ]

    def gate(self) -> Middleware:
        """The middleware that serves the open endpoints ahead of the login check (and answers
        401 for ``/metrics`` asked without credentials while a token protects it)."""
        open_paths = {"/healthz"}
        if self.metrics_public or not self.token_set:
            open_paths.add("/metrics")
        routes = [r for r in self.routes() if getattr(r, "path", "") in open_paths]
        protected = frozenset({"/metrics"} - open_paths)
        return Middleware(OpsGate, open_routes=routes, protected=protected)
