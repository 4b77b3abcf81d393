"""The local test news site: a real HTTP server on 127.0.0.1 with outlets, feeds and fault modes.

Usage::

    with NewsSite(demo_outlets()) as site:
        url = site.feed_url("tehran-wire", "rss")
        site.set_fault("/tehran-wire/rss.xml", Fault(kind="rate_limited", retry_after="30"))

The server is a :class:`~http.server.ThreadingHTTPServer` (daemon threads, HTTP/1.1 keep-alive) on a
random port, run in a background thread. All state changes (faults, new or revised articles) are
guarded by one lock and may happen while requests are served. ``stop()`` wakes hanging fault
handlers and closes open connections, so shutdown is prompt.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from socket import socket
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from monitor.newsite.faults import Fault
from monitor.newsite.handler import NewsHandler
from monitor.newsite.models import Article, FeedKind, Outlet
from monitor.newsite.resources import (
    OutletSnapshot,
    Resource,
    article_resource,
    feed_resource,
    home_resource,
    index_resource,
    robots_resource,
)
from monitor.newsite.routes import article_path, feed_path, parse_path, private_feed_path

if TYPE_CHECKING:
    from monitor.config import SourceConfig, SourceKind

log = logging.getLogger(__name__)

KIND_LABELS: dict[FeedKind, str] = {
    "rss": "RSS",
    "rss1": "RSS 1.0",
    "atom": "Atom",
    "news_sitemap": "news sitemap",
    "sitemap": "sitemap",
    "listing": "listing",
}
SOURCE_KINDS: dict[FeedKind, SourceKind] = {
    "rss": "rss",
    "rss1": "rss",
    "atom": "atom",
    "news_sitemap": "sitemap",
    "sitemap": "sitemap",
    "listing": "listing",
}
LISTING_LINKS_CSS = ".story-list a.story-link"


@dataclass(frozen=True)
class RequestRecord:
    """One served request; header names are lower-case. ``status`` 0: no response (timeout)."""

    method: str
    path: str
    query: str
    host: str
    status: int
    headers: dict[str, str]
    response_headers: dict[str, str]
    fault: str | None
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # the default listen backlog (5) drops connections a concurrent crawl opens at once; the
    # client's SYN retries then stall it for up to half a minute
    request_queue_size = 128

    def __init__(self, site: NewsSite, address: tuple[str, int]) -> None:
        self.site = site
        super().__init__(address, NewsHandler)


class NewsSite:
    """Fictional outlets served over HTTP, with per-path faults and a request log."""

    def __init__(
        self, outlets: Sequence[Outlet] | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        if outlets is None:
            from monitor.newsite.content_demo import demo_outlets

            outlets = demo_outlets()
        slugs = [o.slug for o in outlets]
        if len(set(slugs)) != len(slugs):
            raise ValueError("newsite: outlet slugs must be unique")
        self._lock = threading.RLock()
        self._outlets: dict[str, Outlet] = {
            o.slug: dataclasses.replace(o, articles=list(o.articles)) for o in outlets
        }
        self._changed: dict[str, datetime] = {
            o.slug: max((a.last_change for a in o.articles), default=datetime.now(UTC)).replace(
                microsecond=0
            )
            for o in outlets
        }
        self._faults: dict[str, Fault] = {}
        self._fault_uses: dict[str, int] = {}
        self._requests: list[RequestRecord] = []
        self._bombs: dict[int, bytes] = {}
        self._connections: set[socket] = set()
        self._host, self._port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> NewsSite:
        if self._server is not None:
            return self
        self.stopping.clear()
        self._server = _Server(self, (self._host, self._port))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="newsite",
            daemon=True,
        )
        self._thread.start()
        log.info("News site serving url=%s outlets=%d", self.base_url, len(self._outlets))
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(2)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> NewsSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("newsite: the site is not running; use `with site:` or start()")
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return self._host

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def outlets(self) -> list[Outlet]:
        with self._lock:
            return list(self._outlets.values())

    def outlet(self, slug: str) -> Outlet:
        with self._lock:
            try:
                return self._outlets[slug]
            except KeyError:
                raise KeyError(
                    f"newsite: no outlet {slug!r}; have {sorted(self._outlets)}"
                ) from None

    def feed_url(self, slug: str, kind: FeedKind) -> str:
        outlet = self.outlet(slug)
        if not outlet.offers(kind):
            raise ValueError(f"newsite: outlet {slug!r} offers {outlet.kinds}, not {kind!r}")
        return self.url(feed_path(slug, kind))

    def article_url(self, slug: str, article_slug: str, *, amp: bool = False) -> str:
        with self._lock:
            article = self.outlet(slug).find(article_slug)
        if article is None:
            raise KeyError(f"newsite: outlet {slug!r} has no article {article_slug!r}")
        return self.url(article_path(slug, article, amp=amp))

    def private_feed_url(self, slug: str) -> str:
        """A valid RSS feed under ``/private/``, which robots.txt disallows."""
        self.outlet(slug)
        return self.url(private_feed_path(slug))

    # ------------------------------------------------------------------ faults and log

    def set_fault(self, path: str, fault: Fault) -> None:
        """Play ``fault`` on ``path`` (a path such as ``/x/rss.xml`` or a full URL of this site)."""
        key = urlsplit(path).path or "/"
        with self._lock:
            self._faults[key] = fault
            self._fault_uses[key] = 0

    def clear_faults(self, path: str | None = None) -> None:
        with self._lock:
            if path is None:
                self._faults.clear()
                self._fault_uses.clear()
            else:
                key = urlsplit(path).path or "/"
                self._faults.pop(key, None)
                self._fault_uses.pop(key, None)

    def take_fault(self, path: str) -> Fault | None:
        """The fault for a request to ``path`` (counts it against ``Fault.times``)."""
        with self._lock:
            fault = self._faults.get(path)
            if fault is None:
                return None
            used = self._fault_uses.get(path, 0)
            if fault.times is not None and used >= fault.times:
                return None
            self._fault_uses[path] = used + 1
            return fault

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RequestRecord]:
        key = urlsplit(path).path
        return [r for r in self.requests if r.path == key]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def record(self, entry: RequestRecord) -> None:
        with self._lock:
            self._requests.append(entry)

    # ------------------------------------------------------------------ content changes

    def add_article(self, slug: str, article: Article) -> None:
        """Publish new reporting: it appears in the outlet's feeds, sitemaps and listing."""
        with self._lock:
            outlet = self.outlet(slug)
            if outlet.find(article.slug) is not None:
                raise ValueError(f"newsite: outlet {slug!r} already has article {article.slug!r}")
            outlet.articles.append(article)
            self._touch(slug)

    def revise_article(
        self,
        slug: str,
        article_slug: str,
        *,
        title: str | None = None,
        body: Sequence[str] | None = None,
        summary: str | None = None,
        updated: datetime | None = None,
    ) -> Article:
        """Change an article in place (same URL and GUID); ``updated`` defaults to now."""
        with self._lock:
            outlet = self.outlet(slug)
            old = outlet.find(article_slug)
            if old is None:
                raise KeyError(f"newsite: outlet {slug!r} has no article {article_slug!r}")
            new = dataclasses.replace(
                old,
                title=old.title if title is None else title,
                body=old.body if body is None else tuple(body),
                summary=old.summary if summary is None else summary,
                updated=updated or datetime.now(UTC).replace(microsecond=0),
            )
            outlet.articles[outlet.articles.index(old)] = new
            self._touch(slug)
            return new

    def _touch(self, slug: str) -> None:
        # Last-Modified has one-second resolution: move it on by at least a second per change.
        now = datetime.now(UTC).replace(microsecond=0)
        self._changed[slug] = max(now, self._changed[slug] + timedelta(seconds=1))

    def snapshot(self, slug: str) -> OutletSnapshot | None:
        with self._lock:
            outlet = self._outlets.get(slug)
            if outlet is None:
                return None
            return OutletSnapshot(outlet, tuple(outlet.sorted_articles()), self._changed[slug])

    # ------------------------------------------------------------------ resources

    def resolve(self, path: str, *, empty: bool = False) -> Resource | None:
        """What ``path`` serves, or ``None`` (404). ``empty``: feeds without entries."""
        route = parse_path(path)
        if route is None:
            return None
        base = self.base_url
        if route.kind == "index":
            return index_resource(self.outlets, base)
        if route.kind == "robots":
            return robots_resource(self.outlets, base)
        snap = self.snapshot(route.outlet)
        if snap is None:
            return None
        if route.kind == "home":
            return home_resource(snap, base)
        if route.kind == "private_feed":
            return feed_resource(snap, "rss", base, empty=empty)
        if route.kind == "feed" and route.feed is not None:
            if not snap.outlet.offers(route.feed):
                return None
            return feed_resource(snap, route.feed, base, empty=empty)
        return article_resource(snap, route, base)

    def gzip_bomb(self, size_bytes: int) -> bytes:
        from monitor.newsite.faults import gzip_bomb

        with self._lock:
            if size_bytes not in self._bombs:
                self._bombs[size_bytes] = gzip_bomb(self.base_url + "/", size_bytes)
            return self._bombs[size_bytes]

    def track(self, conn: socket, *, active: bool) -> None:
        with self._lock:
            if active:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # ------------------------------------------------------------------ sources

    def source_configs(
        self,
        kinds: Iterable[FeedKind] | None = None,
        *,
        outlets: Iterable[str] | None = None,
        poll_interval_minutes: int = 60,
        fetch_fulltext: bool | None = None,
    ) -> list[SourceConfig]:
        """SourceConfig entries for this site's feeds.

        ``kinds=None`` gives each outlet's first offered kind (one source per outlet); otherwise
        every requested kind the outlet offers. RSS 1.0 maps to kind "rss", news sitemaps to
        "sitemap"; listings carry CSS selectors for their story links.
        """
        from monitor.config import ListingSelectors, SourceConfig

        wanted = None if kinds is None else tuple(kinds)
        only = None if outlets is None else set(outlets)
        out: list[SourceConfig] = []
        for outlet in self.outlets:
            if only is not None and outlet.slug not in only:
                continue
            chosen = outlet.kinds[:1] if wanted is None else [k for k in wanted if outlet.offers(k)]
            for kind in chosen:
                out.append(
                    SourceConfig(
                        name=f"{outlet.name} ({KIND_LABELS[kind]})",
                        url=self.feed_url(outlet.slug, kind),
                        kind=SOURCE_KINDS[kind],
                        language=outlet.language,
                        poll_interval_minutes=poll_interval_minutes,
                        fetch_fulltext=fetch_fulltext,
                        category=outlet.category,
                        verified=True,
                        selectors=(
                            ListingSelectors(article_links_css=LISTING_LINKS_CSS)
                            if kind == "listing"
                            else None
                        ),
                        notes=f"local test news site ({outlet.charset})",
                    )
                )
        return out
