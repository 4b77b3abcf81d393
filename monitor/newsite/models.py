"""Records of the local test news site: outlets, their articles and feed kinds.

An :class:`Outlet` is one fictional news site under ``/<slug>/`` with its own charset, the feed kinds
it offers and whether its feeds answer conditional GETs. An :class:`Article` is one piece of
reporting; ``relevance_hint`` and ``story_key`` are ground truth for relevance and dedup tests
(``story_key`` is shared by syndicated copies of the same wire story).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from monitor.languages import Direction, Language, direction

FeedKind = Literal["rss", "rss1", "atom", "news_sitemap", "sitemap", "listing"]
RelevanceHint = Literal["bilateral", "iran_only", "russia_only", "sport", "list_mention", "other"]

ALL_FEED_KINDS: tuple[FeedKind, ...] = ("rss", "rss1", "atom", "news_sitemap", "sitemap", "listing")


@dataclass(frozen=True)
class Article:
    """One article; ``body`` holds plain-text paragraphs (rendered escaped)."""

    slug: str
    title: str
    body: tuple[str, ...]
    author: str
    published: datetime  # timezone-aware, UTC
    language: Language = "en"
    guid: str = ""  # empty: "<outlet>:<slug>" is used
    summary: str = ""  # empty: the first paragraph, shortened
    full_in_feed: bool = True  # False: feeds carry only the short summary (full text needs a fetch)
    section: str = "world"
    tags: tuple[str, ...] = ()  # themes, e.g. ("military", "nuclear")
    relevance_hint: RelevanceHint = "other"
    story_key: str = ""  # same value on syndicated copies of one story
    credit: str = ""  # agency credit shown in the byline, e.g. "Tehran Wire"
    updated: datetime | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.body)

    def short_summary(self, limit: int = 240) -> str:
        if self.summary:
            return self.summary
        first = self.body[0] if self.body else ""
        if len(first) <= limit:
            return first
        cut = first[:limit].rsplit(" ", 1)[0]
        return cut + "…"

    @property
    def last_change(self) -> datetime:
        return self.updated or self.published


@dataclass
class Outlet:
    """A fictional news site served under ``/<slug>/``."""

    slug: str
    name: str
    language: Language
    charset: str = "utf-8"  # charset of feeds and pages (windows-1251, koi8-r, windows-1256…)
    kinds: tuple[FeedKind, ...] = ALL_FEED_KINDS
    conditional_get: bool = True  # ETag / Last-Modified → 304 on feeds and sitemaps
    category: str = "other"  # state_agency, wire, international, independent, business…
    description: str = ""
    feed_link_query: str = ""  # appended to article links in feeds, e.g. "utm_source=rss"
    arabic_forms: bool = False  # Persian pages print Arabic yeh/kaf (as windows-1256 sites do)
    declares_language: bool = True  # False: feeds and pages do not say their language
    articles: list[Article] = field(default_factory=list)

    @property
    def direction(self) -> Direction:
        return direction(self.language)

    def offers(self, kind: FeedKind) -> bool:
        return kind in self.kinds

    def sorted_articles(self) -> list[Article]:
        return sorted(self.articles, key=lambda a: (a.published, a.slug), reverse=True)

    def find(self, article_slug: str) -> Article | None:
        return next((a for a in self.articles if a.slug == article_slug), None)
