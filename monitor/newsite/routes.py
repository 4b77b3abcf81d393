"""URL paths of the site (all relative to the base URL) and their parsing.

- ``/robots.txt`` — disallows ``/private/`` (``/private/<outlet>/rss.xml`` is a valid feed that a
  polite crawler never fetches)
- ``/`` — index of outlets
- ``/<outlet>/`` home, ``/<outlet>/news/`` listing (section) page
- ``/<outlet>/rss.xml``, ``/<outlet>/index.rdf`` (RSS 1.0), ``/<outlet>/atom.xml``,
  ``/<outlet>/sitemap-news.xml``, ``/<outlet>/sitemap.xml``
- ``/<outlet>/news/YYYY/MM/DD/<slug>.html`` article, ``/<outlet>/amp/news/YYYY/MM/DD/<slug>.html`` AMP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from monitor.newsite.models import Article, FeedKind

FEED_PATHS: dict[FeedKind, str] = {
    "rss": "rss.xml",
    "rss1": "index.rdf",
    "atom": "atom.xml",
    "news_sitemap": "sitemap-news.xml",
    "sitemap": "sitemap.xml",
    "listing": "news/",
}
PRIVATE_PREFIX = "/private/"

RouteKind = Literal["index", "robots", "home", "feed", "article", "amp", "private_feed"]


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    outlet: str = ""
    feed: FeedKind | None = None
    article: str = ""
    date: str = ""  # "YYYY/MM/DD" of an article path


def feed_path(outlet_slug: str, kind: FeedKind) -> str:
    return f"/{outlet_slug}/{FEED_PATHS[kind]}"


def article_path(outlet_slug: str, article: Article, *, amp: bool = False) -> str:
    day = article.published.strftime("%Y/%m/%d")
    prefix = f"/{outlet_slug}/amp" if amp else f"/{outlet_slug}"
    return f"{prefix}/news/{day}/{article.slug}.html"


def private_feed_path(outlet_slug: str) -> str:
    return f"{PRIVATE_PREFIX}{outlet_slug}/rss.xml"


def parse_path(path: str) -> Route | None:
    """Map a request path to a route; ``None`` means 404."""
    if path == "/":
        return Route("index")
    if path == "/robots.txt":
        return Route("robots")
    parts = path.strip("/").split("/")
    if path.startswith(PRIVATE_PREFIX) and len(parts) == 3 and parts[2] == "rss.xml":
        return Route("private_feed", outlet=parts[1], feed="rss")
    if not parts or not parts[0]:
        return None
    outlet = parts[0]
    rest = path[len(outlet) + 2 :]
    if rest == "" and path.endswith("/"):
        return Route("home", outlet=outlet)
    for kind, tail in FEED_PATHS.items():
        if rest == tail:
            return Route("feed", outlet=outlet, feed=kind)
    amp = len(parts) == 7 and parts[1] == "amp" and parts[2] == "news"
    plain = len(parts) == 6 and parts[1] == "news"
    if (amp or plain) and parts[-1].endswith(".html"):
        ymd = parts[-4:-1]
        if all(p.isdigit() for p in ymd):
            return Route(
                "amp" if amp else "article",
                outlet=outlet,
                article=parts[-1].removesuffix(".html"),
                date="/".join(ymd),
            )
    return None
