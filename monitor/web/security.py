"""Security for the web app: headers (CSP), the access token, and CSRF protection.

- Every response carries a Content-Security-Policy without inline script or style; pages load
  nothing from other hosts.
- With a token configured (``MONITOR_WEB_TOKEN``), every page needs it: as a session cookie set by
  the login form, or as ``Authorization: Bearer TOKEN`` / ``X-Monitor-Token: TOKEN`` for API
  clients and feed readers.
- State-changing requests (POST) need the CSRF token from the form to equal the ``SameSite=Strict``
  CSRF cookie, and an ``Origin`` (or ``Referer``) of this very site.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
# the stored digest pages carry their own inline CSS and nothing else
DIGEST_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)
AUTH_COOKIE = "monitor_auth"
CSRF_COOKIE = "monitor_csrf"
CSRF_FIELD = "csrf_token"


class SecurityHeadersMiddleware:
    """Adds CSP and related headers to every HTTP response that does not set its own CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CSP
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "SAMEORIGIN")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def session_value(token: str) -> str:
    """The auth cookie's value: derived from the token, so the token itself is never stored."""
    return hmac.new(token.encode(), b"monitor-web-session", hashlib.sha256).hexdigest()


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def is_authenticated(request: Request, token: str | None) -> bool:
    if not token:
        return True
    cookie = request.cookies.get(AUTH_COOKIE, "")
    if cookie and hmac.compare_digest(cookie, session_value(token)):
        return True
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer ") and token_matches(header[7:].strip(), token):
        return True
    given = request.headers.get("x-monitor-token", "")
    return bool(given) and token_matches(given, token)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_origin(request: Request) -> bool:
    """Whether a POST comes from a page of this site (Origin, else Referer, must match the host)."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            return False
        origin = referer
    if origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == host


def csrf_ok(request: Request, form_value: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not form_value:
        return False
    return hmac.compare_digest(cookie, form_value) and same_origin(request)


def safe_next(value: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
