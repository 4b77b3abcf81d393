"""HTML pages that look like real news sites: home/listing, article and AMP article.

The markup carries what extraction and canonicalisation meet in the wild: navigation, cookie
banner, breaking ticker, share links, author box, "read also", related and most-read blocks
repeating other headlines, footer, ``rel=canonical``/``amphtml``, RSS autodiscovery, ``og:`` and
``article:published_time`` meta and JSON-LD. Every scraped-looking text is escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from urllib.parse import quote

from monitor.newsite.labels import LABELS, human_date
from monitor.newsite.models import Article, Outlet
from monitor.newsite.render_feeds import CONTENT_TYPES
from monitor.newsite.routes import FEED_PATHS, article_path, feed_path

_STYLE = (
    "body{font-family:sans-serif;margin:0}header,footer{background:#123;color:#fff;padding:8px}"
    "nav a{color:#fff;margin:0 6px}.cookie-banner{background:#ffd;padding:6px}"
    "main{display:flex;gap:24px;padding:12px}.article{flex:3}aside{flex:1}"
)
_TITLES = {"rss": "RSS", "rss1": "RSS 1.0", "atom": "Atom"}


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _meta_charset(declared_charset: str | None) -> str:
    return f'<meta charset="{_e(declared_charset)}">\n' if declared_charset else ""


def _autodiscovery(outlet: Outlet, base_url: str) -> str:
    out = []
    for kind in ("rss", "rss1", "atom"):
        if outlet.offers(kind):
            href = base_url + feed_path(outlet.slug, kind)
            out.append(
                f'<link rel="alternate" type="{CONTENT_TYPES[kind]}" '
                f'title="{_e(outlet.name)} — {_TITLES[kind]}" href="{_e(href)}">\n'
            )
    return "".join(out)


def _header(outlet: Outlet, others: Sequence[Article]) -> str:
    lab = LABELS[outlet.language]
    home = f"/{outlet.slug}/"
    sections = ("politics", "economy", "world", "sport", "opinion")
    nav = "".join(f'<li><a href="{home}news/?section={s}">{_e(lab[s])}</a></li>' for s in sections)
    ticker = ""
    if others:
        ticker = (
            f'<div class="breaking-ticker"><strong>{_e(lab["breaking"])}:</strong> '
            f'<a href="{_e(article_path(outlet.slug, others[0]))}">{_e(others[0].title)}</a></div>\n'
        )
    return (
        f'<div class="cookie-banner" role="dialog">{_e(lab["cookies"])} '
        f'<button type="button">{_e(lab["accept"])}</button></div>\n'
        f'<header class="site-header"><a class="logo" href="{home}">{_e(outlet.name)}</a>\n'
        f'<nav class="main-nav"><ul><li><a href="{home}">{_e(lab["home"])}</a></li>'
        f'<li><a href="{home}news/">{_e(lab["news"])}</a></li>{nav}</ul></nav>\n'
        f'<form class="search" action="{home}search"><input name="q" '
        f'placeholder="{_e(lab["search"])}"></form></header>\n{ticker}'
    )


def _footer(outlet: Outlet) -> str:
    lab = LABELS[outlet.language]
    home = f"/{outlet.slug}/"
    feeds = " | ".join(
        f'<a href="{_e(feed_path(outlet.slug, k))}">{_TITLES[k]}</a>'
        for k in ("rss", "rss1", "atom")
        if outlet.offers(k)
    )
    return (
        f'<footer class="site-footer"><div class="newsletter">{_e(lab["subscribe"])}</div>\n'
        f'<p><a href="{home}about">{_e(lab["about"])}</a> | <a href="{home}contact">'
        f'{_e(lab["contact"])}</a> | <a href="{home}privacy">{_e(lab["privacy"])}</a> | {feeds}</p>\n'
        f"<p>© {_e(outlet.name)}. {_e(lab['rights'])}</p></footer>\n"
    )


def _headline_list(outlet: Outlet, articles: Sequence[Article], css: str, title: str) -> str:
    if not articles:
        return ""
    tag = "ol" if css == "most-read" else "ul"
    items = "".join(
        f'<li><a href="{_e(article_path(outlet.slug, a))}">{_e(a.title)}</a></li>' for a in articles
    )
    return f'<aside class="{css}"><h2>{_e(title)}</h2><{tag}>{items}</{tag}></aside>\n'


def _page(
    outlet: Outlet, head: str, body: str, declared_charset: str | None, *, amp: bool = False
) -> str:
    html_attr = " ⚡" if amp else ""
    if outlet.declares_language:
        html_attr += f' lang="{outlet.language}"'
    return (
        f'<!DOCTYPE html>\n<html{html_attr} dir="{outlet.direction}">\n'
        f"<head>\n{_meta_charset(declared_charset)}"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{head}<style>{_STYLE}</style>\n"
        "<script>window.dataLayer=window.dataLayer||[];"
        "dataLayer.push({'event':'pageview'});</script>\n"
        f"</head>\n<body>\n{body}</body>\n</html>\n"
    )


def render_listing(
    outlet: Outlet,
    articles: Sequence[Article],
    base_url: str,
    declared_charset: str | None,
    *,
    canonical_path: str,
) -> str:
    """Home or section page: a list of story cards (``.story-list a.story-link``) and sidebars."""
    lab = LABELS[outlet.language]
    cards = []
    for a in articles:
        cards.append(
            f'<article class="story-card"><h2><a class="story-link" '
            f'href="{_e(article_path(outlet.slug, a))}">{_e(a.title)}</a></h2>\n'
            f'<p class="dek">{_e(a.short_summary(160))}</p>'
            f'<time datetime="{a.published.isoformat()}">'
            f"{_e(human_date(a.published, outlet.language))}</time></article>\n"
        )
    head = (
        f"<title>{_e(lab['latest'])} | {_e(outlet.name)}</title>\n"
        f'<link rel="canonical" href="{_e(base_url + canonical_path)}">\n'
        f'<meta name="description" content="{_e(outlet.description or outlet.name)}">\n'
        f'<meta property="og:type" content="website">\n'
        f'<meta property="og:site_name" content="{_e(outlet.name)}">\n'
        f"{_autodiscovery(outlet, base_url)}"
    )
    body = (
        _header(outlet, articles[:1])
        + f'<main><section class="story-list"><h1>{_e(lab["latest"])}</h1>\n'
        + "".join(cards)
        + "</section>\n"
        + _headline_list(outlet, list(articles[:5])[::-1], "most-read", lab["most_read"])
        + '<div class="ad-slot">'
        + _e(lab["advert"])
        + "</div></main>\n"
        + _footer(outlet)
    )
    return _page(outlet, head, body, declared_charset)


def _share_links(canonical: str, title: str, lab: dict[str, str]) -> str:
    u, t = quote(canonical, safe=""), quote(title, safe="")
    targets = (
        ("twitter", f"https://twitter.com/intent/tweet?url={u}&text={t}"),
        ("facebook", f"https://www.facebook.com/sharer/sharer.php?u={u}"),
        ("telegram", f"https://t.me/share/url?url={u}&text={t}"),
        ("whatsapp", f"whatsapp://send?text={t}%20{u}"),
        ("email", f"mailto:?subject={t}&body={u}"),
    )
    links = "".join(
        f'<a class="share-{name}" href="{_e(href)}" rel="nofollow">{name}</a> '
        for name, href in targets
    )
    return f'<div class="share-bar"><span>{_e(lab["share"])}:</span> {links}</div>\n'


def _json_ld(outlet: Outlet, article: Article, canonical: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "datePublished": article.published.isoformat(),
        "dateModified": article.last_change.isoformat(),
        "author": {"@type": "Person", "name": article.author},
        "publisher": {"@type": "Organization", "name": outlet.name},
        "mainEntityOfPage": canonical,
        "inLanguage": article.language,
    }
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return f'<script type="application/ld+json">{text}</script>\n'


def render_article(
    outlet: Outlet,
    article: Article,
    others: Sequence[Article],
    base_url: str,
    declared_charset: str | None,
    *,
    amp: bool = False,
) -> str:
    """An article page (or its AMP variant, whose ``rel=canonical`` points back)."""
    lab = LABELS[outlet.language]
    canonical = base_url + article_path(outlet.slug, article)
    amp_url = base_url + article_path(outlet.slug, article, amp=True)
    published = article.published.isoformat()
    summary = article.short_summary()
    head = [
        f"<title>{_e(article.title)} | {_e(outlet.name)}</title>\n",
        f'<link rel="canonical" href="{_e(canonical)}">\n',
        f'<meta name="description" content="{_e(summary)}">\n',
        f'<meta name="author" content="{_e(article.author)}">\n',
        '<meta property="og:type" content="article">\n',
        f'<meta property="og:title" content="{_e(article.title)}">\n',
        f'<meta property="og:description" content="{_e(summary)}">\n',
        f'<meta property="og:url" content="{_e(canonical)}">\n',
        f'<meta property="og:site_name" content="{_e(outlet.name)}">\n',
        f'<meta property="article:published_time" content="{published}">\n',
        f'<meta property="article:modified_time" content="{article.last_change.isoformat()}">\n',
        f'<meta property="article:section" content="{_e(article.section)}">\n',
        *(f'<meta property="article:tag" content="{_e(t)}">\n' for t in article.tags),
        _json_ld(outlet, article, canonical),
    ]
    if amp:
        head.append('<script async src="https://cdn.ampproject.org/v0.js"></script>\n')
    else:
        head.append(f'<link rel="amphtml" href="{_e(amp_url)}">\n')
    paragraphs = [f"<p>{_e(p)}</p>\n" for p in article.body]
    if others and len(paragraphs) > 2 and not amp:
        read_also = (
            f'<div class="read-also"><strong>{_e(lab["read_also"])}:</strong> '
            f'<a href="{_e(article_path(outlet.slug, others[0]))}">{_e(others[0].title)}</a></div>\n'
        )
        paragraphs.insert(2, read_also)
        paragraphs.insert(len(paragraphs) - 1, f'<div class="ad-slot">{_e(lab["advert"])}</div>\n')
    credit = (
        f' <span class="credit">{_e(lab["source"])}: {_e(article.credit)}</span>'
        if article.credit
        else ""
    )
    tags = "".join(
        f'<li><a href="/{outlet.slug}/tag/{quote(t)}">{_e(t)}</a></li>' for t in article.tags
    )
    bio = lab["author_bio"].format(name=article.author, outlet=outlet.name)
    body = (
        _header(outlet, others)
        + '<main>\n<article class="article">\n'
        + f'<nav class="breadcrumbs"><a href="/{outlet.slug}/">{_e(lab["home"])}</a> › '
        + f'<a href="/{outlet.slug}/news/">{_e(lab["news"])}</a></nav>\n'
        + f'<h1 class="article__title">{_e(article.title)}</h1>\n'
        + f'<div class="byline"><span class="author">{_e(lab["by"])} {_e(article.author)}</span> '
        + f'<time datetime="{published}">{_e(human_date(article.published, outlet.language))}</time>'
        + f"{credit}</div>\n"
        + _share_links(canonical, article.title, lab)
        + '<div class="article__body">\n'
        + "".join(paragraphs)
        + "</div>\n"
        + (f'<ul class="tags"><li>{_e(lab["tags"])}:</li>{tags}</ul>\n' if tags else "")
        + f'<section class="author-box"><h4>{_e(lab["about_author"])}</h4><p>{_e(bio)}</p></section>\n'
        + "</article>\n"
        + _headline_list(outlet, others[:4], "related", lab["related"])
        + _headline_list(outlet, others[4:9], "most-read", lab["most_read"])
        + "</main>\n"
        + _footer(outlet)
    )
    return _page(outlet, "".join(head), body, declared_charset, amp=amp)


def render_index(outlets: Sequence[Outlet], base_url: str) -> str:
    rows = []
    for o in outlets:
        feeds = " ".join(f'<a href="{_e(f"/{o.slug}/{FEED_PATHS[k]}")}">{k}</a>' for k in o.kinds)
        rows.append(
            f'<li><a href="/{o.slug}/">{_e(o.name)}</a> ({o.language}, {_e(o.charset)}) {feeds}</li>\n'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Local test news site</title></head><body><h1>Local test news site</h1>"
        f"<p>{_e(base_url)}</p><ul>\n{''.join(rows)}</ul></body></html>\n"
    )


def render_robots(outlets: Sequence[Outlet], base_url: str) -> str:
    lines = ["User-agent: *", "Disallow: /private/", ""]
    lines += [
        f"Sitemap: {base_url}{feed_path(o.slug, 'sitemap')}" for o in outlets if o.offers("sitemap")
    ]
    return "\n".join(lines) + "\n"
