"""Value objects passed between the collection stages. No Scrapy or feedparser type appears here.

All datetimes are timezone-aware UTC. ``date_quality`` says how trustworthy ``published_at`` is:
``ok``, ``missing`` (no date given), ``unparseable`` (a date we could not read), ``future`` (more
than a day ahead of the clock) or ``implausible`` (before 1990); in every case but ``ok`` the
date is ``None`` — a date is never invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ArrivedVia = Literal["feed", "sitemap", "listing", "manual"]
DateQuality = Literal["ok", "missing", "unparseable", "future", "implausible"]
# "pending": stored with its feed text, its article page not read yet (fetched later in the run,
# or by a later run when this one was cut off or reached its cap)
FulltextStatus = Literal["none", "ok", "failed", "skipped", "copied", "pending"]
# what storing an entry did; "attached": an article page's text was added to a stored item
StoreOutcome = Literal["new", "revised", "known", "attached", "error"]


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry of a feed, sitemap or listing page, normalised (plain text, absolute URL;
    ``url`` is "" for a feed entry without an http(s) link)."""

    url: str
    title: str = ""
    guid: str | None = None
    summary: str = ""
    text: str = ""  # full text when the feed carries it (content:encoded, atom:content)
    author: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    date_quality: DateQuality = "missing"
    # the date as the source wrote it, kept when it could not be read as a real date
    date_text: str | None = None
    arrived_via: ArrivedVia = "feed"


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    entries: list[FeedEntry]
    warnings: list[str] = field(default_factory=list)
    link: str = ""
    language: str = ""  # as the feed declares it (<language>, xml:lang, dc:language), or ""

    @property
    def newest(self) -> datetime | None:
        """The newest publication date among the entries."""
        dates = [e.published_at for e in self.entries if e.published_at is not None]
        return max(dates) if dates else None


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """What full-text extraction found on an article page."""

    url: str
    text: str
    title: str = ""
    author: str | None = None
    published_at: datetime | None = None
    date_quality: DateQuality = "missing"
    language: str | None = None


@dataclass(frozen=True, slots=True)
class CollectedItem:
    """An entry ready to store: the entry, its identity and the article (when one was fetched)."""

    source_id: int
    entry: FeedEntry
    canonical_url: str
    entry_key: str
    article: ArticleRecord | None = None
    fulltext_status: FulltextStatus = "none"
    # the spider's look-up found no stored item for this entry (the store then skips its own;
    # the unique constraint still catches a concurrent insert)
    looked_up_new: bool = False
    # the outcome of the article page of an entry stored earlier with its feed text: the store
    # attaches the article's text as a revision (``ok``) or records that it failed (``failed``)
    page_result: bool = False


@dataclass(frozen=True, slots=True)
class SourceJob:
    """One source to crawl in this run, with what the last runs left behind."""

    source_id: int
    name: str
    url: str
    kind: str  # rss | atom | sitemap | listing
    language: str
    fulltext: Literal["always", "short", "never"]
    selectors_css: str | None = None
    selectors_xpath: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    since: datetime | None = None  # last successful crawl (sitemaps: only newer entries)
    poll_interval_minutes: int = 60
    timezone: str | None = None  # naive dates are in this zone; None: from the language
