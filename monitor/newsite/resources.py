"""Turning a request path into a resource to send (content type, charset and a renderer)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.newsite.models import Article, FeedKind, Outlet
from monitor.newsite.render_feeds import CONTENT_TYPES, FEED_LIMIT, XML_RENDERERS
from monitor.newsite.render_pages import (
    render_article,
    render_index,
    render_listing,
    render_robots,
)
from monitor.newsite.routes import Route, feed_path

_ARABIC_FORMS = str.maketrans({"ی": "ي", "ک": "ك"})


def _localised(outlet: Outlet, render: Callable[[str | None], str]) -> Callable[[str | None], str]:
    if not outlet.arabic_forms:
        return render
    return lambda c: render(c).translate(_ARABIC_FORMS)


@dataclass(frozen=True)
class Resource:
    """What a path serves; ``render(declared_charset)`` gives the text (prolog/meta included)."""

    content_type: str
    charset: str  # the charset the body is normally encoded in
    render: Callable[[str | None], str]
    feed_kind: FeedKind | None = None  # set for feeds and sitemaps
    conditional: bool = False  # ETag / Last-Modified / 304 apply
    last_modified: datetime | None = None


@dataclass(frozen=True)
class OutletSnapshot:
    """An outlet with its articles newest first, copied under the site's lock."""

    outlet: Outlet
    articles: tuple[Article, ...]
    changed_at: datetime


def index_resource(outlets: Sequence[Outlet], base_url: str) -> Resource:
    return Resource("text/html", "utf-8", lambda _c: render_index(outlets, base_url))


def robots_resource(outlets: Sequence[Outlet], base_url: str) -> Resource:
    return Resource("text/plain", "utf-8", lambda _c: render_robots(outlets, base_url))


def feed_resource(
    snap: OutletSnapshot, kind: FeedKind, base_url: str, *, empty: bool = False
) -> Resource:
    outlet = snap.outlet
    articles: Sequence[Article] = () if empty else snap.articles
    if kind == "listing":
        return home_resource(snap, base_url, canonical_path=feed_path(outlet.slug, "listing"))
    renderer = XML_RENDERERS[kind]
    return Resource(
        CONTENT_TYPES[kind],
        outlet.charset,
        _localised(outlet, lambda c: renderer(outlet, articles, base_url, c)),
        feed_kind=kind,
        conditional=outlet.conditional_get and not empty,
        last_modified=snap.changed_at,
    )


def home_resource(snap: OutletSnapshot, base_url: str, *, canonical_path: str = "") -> Resource:
    outlet = snap.outlet
    articles = snap.articles[:FEED_LIMIT]
    canonical = canonical_path or f"/{outlet.slug}/"
    return Resource(
        "text/html",
        outlet.charset,
        _localised(
            outlet,
            lambda c: render_listing(outlet, articles, base_url, c, canonical_path=canonical),
        ),
    )


def article_resource(snap: OutletSnapshot, route: Route, base_url: str) -> Resource | None:
    outlet = snap.outlet
    index = next((i for i, a in enumerate(snap.articles) if a.slug == route.article), None)
    if index is None:
        return None
    article = snap.articles[index]
    if article.published.strftime("%Y/%m/%d") != route.date:
        return None
    # Other headlines: the following ones first, wrapping around, as sidebars on real sites do.
    others = [*snap.articles[index + 1 :], *snap.articles[:index]][:9]
    amp = route.kind == "amp"
    return Resource(
        "text/html",
        outlet.charset,
        _localised(outlet, lambda c: render_article(outlet, article, others, base_url, c, amp=amp)),
    )
