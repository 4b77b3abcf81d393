"""Security for the web app: host names, headers (CSP), the access token, sessions, CSRF.

- **Host names.** Every request must name this server in its ``Host`` header: a loopback name
  (``localhost``, ``127.0.0.1``, ``::1``), the address it listens on, or a name in
  ``web.allowed_hosts`` (``*`` allows any). Anything else gets 400, so a web page that points a
  host name of its own at 127.0.0.1 (DNS rebinding) cannot read the archive through the browser.
- Every response carries a Content-Security-Policy without inline script or style; pages load
  nothing from other hosts.
- With a token configured (``MONITOR_WEB_TOKEN``, or a named reader's token from ``web.readers``),
  every page needs one: as a session cookie set by the login form, or as
  ``Authorization: Bearer TOKEN`` / ``X-Monitor-Token: TOKEN`` for API clients and feed readers.
  Listening beyond loopback needs strong tokens (:func:`token_weakness`). A saved search's feed
  (``/searches/feed/TOKEN.atom``) is the exception: the random token in its path is its
  credential, as in a private feed URL, so feed readers need no login.
- **Readers.** Each token belongs to a reader (``MONITOR_WEB_TOKEN`` to :data:`DEFAULT_READER`,
  each ``web.readers`` entry to its name); the request carries the reader's name in
  ``request.state.reader`` (the default reader when no token is configured), and read and
  starred state is kept per reader.
- **Sessions** are random, held by the server and expire after ``web.session_hours``; logging
  out ends the session (the old cookie is worthless), and so does a restart of the server.
- **Login attempts** are limited per client address: after ``web.login_attempts`` wrong tokens
  (login form or API header) within ``web.login_lockout_minutes``, further attempts get 429 until
  the oldest failure leaves the window.
- State-changing requests (POST) need the CSRF token from the form to equal the ``SameSite=Strict``
  CSRF cookie, and an ``Origin`` (or ``Referer``) of this very site.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
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
DEFAULT_READER = "default"
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


# ------------------------------------------------------------------------------- host names

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
ANY_HOST = "*"


def host_of(header: str) -> str:
    """The host name of a ``Host`` header value: lower case, without port or brackets."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else ""
    return value.rsplit(":", 1)[0].rstrip(".") if value.count(":") <= 1 else value


def _is_loopback_name(host: str) -> bool:
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(configured: Iterable[str], bind_host: str | None = None) -> frozenset[str]:
    """The host names to answer: the configured ones plus the address listened on (when it is
    one address, not a wildcard such as 0.0.0.0). Loopback names are always answered."""
    names = {h.strip().lower().strip("[]").rstrip(".") for h in configured if h.strip()}
    if bind_host:
        bound = bind_host.strip().lower().strip("[]")
        try:
            wildcard = ipaddress.ip_address(bound).is_unspecified
        except ValueError:
            wildcard = False
        if bound and not wildcard:
            names.add(bound)
    return frozenset(names)


class HostCheckMiddleware:
    """Answers 400 to a request whose ``Host`` is not a loopback name or an allowed host."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    def host_ok(self, header: str) -> bool:
        if ANY_HOST in self.allowed:
            return True
        host = host_of(header)
        return bool(host) and (host in self.allowed or _is_loopback_name(host))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("host", "")
        if self.host_ok(header):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            f"web: this server does not answer to the host name {header[:100]!r}; "
            "add it to web.allowed_hosts to allow it",
            status_code=400,
        )
        await response(scope, receive, send)


# ------------------------------------------------------------------------------- the token

MIN_TOKEN_CHARS = 20
MIN_TOKEN_BITS = 100  # a 128-bit random token passes even when it lacks character classes
MIN_CHAR_ENTROPY = 2.5  # bits per character (Shannon) of the token's own letter frequencies
MIN_TOKEN_DISTINCT = 8
MAKE_ONE_HINT = (
    "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))' "
    "(or: openssl rand -base64 32)"
)


def token_bits(token: str) -> float:
    """A rough strength estimate: length × log2 of the alphabet its character classes span."""
    pool = 0
    if any(c.islower() for c in token):
        pool += 26
    if any(c.isupper() for c in token):
        pool += 26
    if any(c.isdigit() for c in token):
        pool += 10
    if any(not c.isalnum() for c in token):
        pool += 33
    return len(token) * math.log2(pool) if pool else 0.0


def char_entropy(token: str) -> float:
    """Shannon entropy of the token's character frequencies, in bits per character."""
    n = len(token)
    return -sum(c / n * math.log2(c / n) for c in (token.count(ch) for ch in set(token)))


def token_weakness(token: str) -> str | None:
    """Why ``token`` is too weak to guard an archive reachable from the network, or None."""
    if len(token) < MIN_TOKEN_CHARS:
        return f"it has {len(token)} characters; at least {MIN_TOKEN_CHARS} are needed"
    if token != token.strip():
        return "it starts or ends with white space"
    if len(set(token)) < MIN_TOKEN_DISTINCT or char_entropy(token) < MIN_CHAR_ENTROPY:
        return "it repeats a few characters"
    bits = token_bits(token)
    if bits < MIN_TOKEN_BITS:
        return f"it is too easy to guess (about {bits:.0f} bits; {MIN_TOKEN_BITS} are needed)"
    return None


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


# ------------------------------------------------------------------------------- sessions

MAX_SESSIONS = 10_000
MAX_TRACKED_CLIENTS = 10_000


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class SessionStore:
    """Random session ids held in memory (only their hashes), each valid for ``lifetime_s`` and
    belonging to one reader."""

    def __init__(self, lifetime_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime_s = lifetime_s
        self.clock = clock
        self._expiry: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, reader: str = DEFAULT_READER) -> str:
        """A new session of ``reader``; returns the cookie value."""
        value = secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[_digest(value)] = (self.clock() + self.lifetime_s, reader)
            while len(self._expiry) > MAX_SESSIONS:
                self._expiry.popitem(last=False)
        return value

    def reader(self, value: str) -> str | None:
        """The reader of a valid session; None when the session is unknown or expired."""
        if not value:
            return None
        key = _digest(value)
        with self._lock:
            entry = self._expiry.get(key)
            if entry is None:
                return None
            if self.clock() >= entry[0]:
                del self._expiry[key]
                return None
            return entry[1]

    def valid(self, value: str) -> bool:
        return self.reader(value) is not None

    def revoke(self, value: str) -> None:
        with self._lock:
            self._expiry.pop(_digest(value), None)


class LoginLimiter:
    """At most ``attempts`` failures per client within ``window_s``; then wait."""

    def __init__(
        self, attempts: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def wait_s(self, client: str) -> float:
        """Seconds before ``client`` may try again (0: now)."""
        now = self.clock()
        with self._lock:
            times = self._recent(client, now)
            if len(times) < self.attempts:
                return 0.0
            return max(times[0] + self.window_s - now, 0.0)

    def failed(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            times = self._recent(client, now)
            times.append(now)
            self._failures[client] = times
            self._failures.move_to_end(client)
            while len(self._failures) > MAX_TRACKED_CLIENTS:
                self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


class WebAuth:
    """The tokens (each a reader's), the sessions and the login limiter of one app."""

    def __init__(
        self,
        token: str | None,
        *,
        readers: dict[str, str] | None = None,
        session_hours: float = 12,
        login_attempts: int = 5,
        lockout_minutes: float = 15,
    ) -> None:
        self.tokens: dict[str, str] = {}  # token → reader
        if token:
            self.tokens[token] = DEFAULT_READER
        for name, reader_token in (readers or {}).items():
            self.tokens[reader_token] = name
        self.token = token or next(iter(self.tokens), None)  # set when any token guards the app
        self.sessions = SessionStore(session_hours * 3600)
        self.limiter = LoginLimiter(login_attempts, lockout_minutes * 60)

    @property
    def session_max_age(self) -> int:
        return int(self.sessions.lifetime_s)

    def session_ok(self, request: Request) -> bool:
        return self.session_reader(request) is not None

    def session_reader(self, request: Request) -> str | None:
        return self.sessions.reader(request.cookies.get(AUTH_COOKIE, ""))

    def header_token(self, request: Request) -> str | None:
        """The token an API client sent, if any."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        given = request.headers.get("x-monitor-token")
        return given if given else None

    def reader_of(self, given: str) -> str | None:
        """The reader whose token ``given`` is (every token compared in constant time)."""
        found = None
        for token, reader in self.tokens.items():
            if token_matches(given, token) and found is None:
                found = reader
        return found

    def check(self, request: Request, given: str) -> str | None:
        """The reader whose token ``given`` is; a wrong one counts against the client."""
        assert self.tokens
        client = client_of(request)
        reader = self.reader_of(given)
        if reader is not None:
            self.limiter.succeeded(client)
            return reader
        self.limiter.failed(client)
        return None

    def wait_s(self, request: Request) -> float:
        return self.limiter.wait_s(client_of(request))


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


# a saved search's feed: its random token in the path is the credential (a private feed URL)
PUBLIC_PATHS = ("/login", "/static/", "/searches/feed/")


class AuthMiddleware:
    """With a token configured, every path except the login form, CSS and script, and saved-search
    feeds (their own token is in the path) needs a session or the token in a header; wrong header tokens count against the client like wrong logins."""

    def __init__(self, app: ASGIApp, auth: WebAuth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.auth.tokens:
            if scope["type"] == "http":
                scope.setdefault("state", {})["reader"] = DEFAULT_READER
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        reader = self.auth.session_reader(request)
        if reader is not None or path.startswith(PUBLIC_PATHS):
            scope.setdefault("state", {})["reader"] = reader or DEFAULT_READER
            await self.app(scope, receive, send)
            return
        given = self.auth.header_token(request)
        response: Response
        if given is not None:
            wait = self.auth.wait_s(request)
            if wait:
                response = JSONResponse(
                    {"error": "web: too many wrong tokens from this address; try again later"},
                    status_code=429,
                    headers={"Retry-After": str(int(wait) + 1)},
                )
                await response(scope, receive, send)
                return
            reader = self.auth.check(request, given)
            if reader is not None:
                scope.setdefault("state", {})["reader"] = reader
                await self.app(scope, receive, send)
                return
        if path.startswith("/api/") or path.endswith(".atom") or request.method != "GET":
            response = JSONResponse(
                {"error": "web: this archive needs a token (Authorization: Bearer TOKEN)"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        else:
            target = path + (f"?{request.url.query}" if request.url.query else "")
            response = RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
        await response(scope, receive, send)
