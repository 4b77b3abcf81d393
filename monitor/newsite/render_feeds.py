"""RSS 2.0, RSS 1.0 (RDF), Atom, news sitemap and sitemap documents for one outlet.

Every text and attribute goes through :mod:`xml.sax.saxutils`; only :mod:`monitor.newsite.faults`
breaks documents on purpose. ``declared_charset`` goes into the XML prolog (``None``: no encoding
attribute); the server encodes the text afterwards.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from monitor.newsite.models import Article, FeedKind, Outlet
from monitor.newsite.routes import article_path, feed_path

FEED_LIMIT = 50  # entries per feed; sitemaps list every article


def guid_of(outlet: Outlet, article: Article) -> str:
    return article.guid or f"urn:newsite:{outlet.slug}:{article.slug}"


def body_html(article: Article) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in article.body)


def feed_link(base_url: str, outlet: Outlet, article: Article) -> str:
    link = base_url + article_path(outlet.slug, article)
    return f"{link}?{outlet.feed_link_query}" if outlet.feed_link_query else link


def prolog(declared_charset: str | None) -> str:
    if declared_charset is None:
        return '<?xml version="1.0"?>\n'
    return f'<?xml version="1.0" encoding="{declared_charset}"?>\n'


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def render_rss(
    outlet: Outlet, articles: Sequence[Article], base_url: str, declared_charset: str | None
) -> str:
    home = f"{base_url}/{outlet.slug}/"
    newest = max((a.last_change for a in articles), default=None)
    out = [
        prolog(declared_charset),
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n',
        "<channel>\n",
        f"<title>{escape(outlet.name)}</title>\n<link>{escape(home)}</link>\n",
        f"<description>{escape(outlet.description or outlet.name)}</description>\n",
        f"<language>{outlet.language}</language>\n" if outlet.declares_language else "",
        f'<atom:link rel="self" type="application/rss+xml" '
        f"href={quoteattr(base_url + feed_path(outlet.slug, 'rss'))}/>\n",
    ]
    if newest is not None:
        out.append(f"<lastBuildDate>{format_datetime(newest, usegmt=True)}</lastBuildDate>\n")
    for a in articles[:FEED_LIMIT]:
        out.append("<item>\n")
        out.append(f"<title>{escape(a.title)}</title>\n")
        out.append(f"<link>{escape(feed_link(base_url, outlet, a))}</link>\n")
        out.append(f'<guid isPermaLink="false">{escape(guid_of(outlet, a))}</guid>\n')
        out.append(f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>\n")
        out.append(f"<dc:creator>{escape(a.author)}</dc:creator>\n")
        out.extend(f"<category>{escape(t)}</category>\n" for t in a.tags)
        out.append(f"<description>{escape(a.short_summary())}</description>\n")
        if a.full_in_feed:
            out.append(f"<content:encoded>{escape(body_html(a))}</content:encoded>\n")
        out.append("</item>\n")
    out.append("</channel>\n</rss>\n")
    return "".join(out)


def render_rss1(
    outlet: Outlet, articles: Sequence[Article], base_url: str, declared_charset: str | None
) -> str:
    home = f"{base_url}/{outlet.slug}/"
    items = articles[:FEED_LIMIT]
    links = [feed_link(base_url, outlet, a) for a in items]
    out = [
        prolog(declared_charset),
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/">\n',
        f"<channel rdf:about={quoteattr(base_url + feed_path(outlet.slug, 'rss1'))}>\n",
        f"<title>{escape(outlet.name)}</title>\n<link>{escape(home)}</link>\n",
        f"<description>{escape(outlet.description or outlet.name)}</description>\n",
        f"<dc:language>{outlet.language}</dc:language>\n" if outlet.declares_language else "",
        "<items><rdf:Seq>\n",
        *(f"<rdf:li rdf:resource={quoteattr(link)}/>\n" for link in links),
        "</rdf:Seq></items>\n</channel>\n",
    ]
    for a, link in zip(items, links, strict=True):
        out.append(f"<item rdf:about={quoteattr(link)}>\n")
        out.append(f"<title>{escape(a.title)}</title>\n<link>{escape(link)}</link>\n")
        out.append(f"<dc:date>{_iso(a.published)}</dc:date>\n")
        out.append(f"<dc:creator>{escape(a.author)}</dc:creator>\n")
        out.extend(f"<dc:subject>{escape(t)}</dc:subject>\n" for t in a.tags)
        out.append(f"<description>{escape(a.short_summary())}</description>\n")
        if a.full_in_feed:
            out.append(f"<content:encoded>{escape(body_html(a))}</content:encoded>\n")
        out.append("</item>\n")
    out.append("</rdf:RDF>\n")
    return "".join(out)


def render_atom(
    outlet: Outlet, articles: Sequence[Article], base_url: str, declared_charset: str | None
) -> str:
    home = f"{base_url}/{outlet.slug}/"
    self_url = base_url + feed_path(outlet.slug, "atom")
    newest = max((a.last_change for a in articles), default=None)
    out = [
        prolog(declared_charset),
        '<feed xmlns="http://www.w3.org/2005/Atom"'
        + (f' xml:lang="{outlet.language}"' if outlet.declares_language else "")
        + ">\n",
        f"<title>{escape(outlet.name)}</title>\n",
        f"<subtitle>{escape(outlet.description or outlet.name)}</subtitle>\n",
        f"<id>{escape(self_url)}</id>\n",
        f'<link rel="self" type="application/atom+xml" href={quoteattr(self_url)}/>\n',
        f'<link rel="alternate" type="text/html" href={quoteattr(home)}/>\n',
    ]
    if newest is not None:
        out.append(f"<updated>{_iso(newest)}</updated>\n")
    for a in articles[:FEED_LIMIT]:
        out.append("<entry>\n")
        out.append(f'<title type="text">{escape(a.title)}</title>\n')
        out.append(f"<id>{escape(guid_of(outlet, a))}</id>\n")
        out.append(
            f'<link rel="alternate" type="text/html" '
            f"href={quoteattr(feed_link(base_url, outlet, a))}/>\n"
        )
        out.append(f"<published>{_iso(a.published)}</published>\n")
        out.append(f"<updated>{_iso(a.last_change)}</updated>\n")
        out.append(f"<author><name>{escape(a.author)}</name></author>\n")
        out.extend(f"<category term={quoteattr(t)}/>\n" for t in a.tags)
        out.append(f'<summary type="text">{escape(a.short_summary())}</summary>\n')
        if a.full_in_feed:
            out.append(f'<content type="html">{escape(body_html(a))}</content>\n')
        out.append("</entry>\n")
    out.append("</feed>\n")
    return "".join(out)


def render_news_sitemap(
    outlet: Outlet, articles: Sequence[Article], base_url: str, declared_charset: str | None
) -> str:
    out = [
        prolog(declared_charset),
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n',
    ]
    for a in articles[:FEED_LIMIT]:
        loc = base_url + article_path(outlet.slug, a)
        out.append(
            f"<url><loc>{escape(loc)}</loc>\n<news:news><news:publication>"
            f"<news:name>{escape(outlet.name)}</news:name>"
            f"<news:language>{a.language}</news:language></news:publication>\n"
            f"<news:publication_date>{_iso(a.published)}</news:publication_date>\n"
            f"<news:title>{escape(a.title)}</news:title>\n"
        )
        if a.tags:
            out.append(f"<news:keywords>{escape(', '.join(a.tags))}</news:keywords>\n")
        out.append("</news:news></url>\n")
    out.append("</urlset>\n")
    return "".join(out)


def render_sitemap(
    outlet: Outlet, articles: Sequence[Article], base_url: str, declared_charset: str | None
) -> str:
    out = [
        prolog(declared_charset),
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n',
    ]
    out.append(f"<url><loc>{escape(base_url)}/{escape(outlet.slug)}/news/</loc></url>\n")
    for a in articles:
        loc = base_url + article_path(outlet.slug, a)
        out.append(f"<url><loc>{escape(loc)}</loc><lastmod>{_iso(a.last_change)}</lastmod></url>\n")
    out.append("</urlset>\n")
    return "".join(out)


FeedRenderer = Callable[[Outlet, Sequence[Article], str, str | None], str]

XML_RENDERERS: dict[FeedKind, FeedRenderer] = {
    "rss": render_rss,
    "rss1": render_rss1,
    "atom": render_atom,
    "news_sitemap": render_news_sitemap,
    "sitemap": render_sitemap,
}

CONTENT_TYPES: dict[FeedKind, str] = {
    "rss": "application/rss+xml",
    "rss1": "application/rdf+xml",
    "atom": "application/atom+xml",
    "news_sitemap": "application/xml",
    "sitemap": "application/xml",
    "listing": "text/html",
}
