"""SQLAlchemy 2.x models: the archive's schema.

All times are stored as timezone-aware UTC (see :class:`UTCDateTime`). JSON columns hold small
structured records (explanations, merge reasons, run statistics); anything that is filtered on has
its own indexed column or table (``item_tags`` for themes and key figures).

Migrations live in ``monitor/db/migrations/versions``; ``tests/test_migrations.py`` checks that
they produce exactly this schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# registers monitor_fold() on SQLite connections: the items_fts triggers call it (see fts.py)
import monitor.db.fts  # noqa: F401

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# an item's sort time (see :func:`monitor.db.stories.item_time`), as the database computes it
SORT_AT_SQL = (
    "CASE WHEN published_at IS NOT NULL AND date_quality = 'ok' THEN published_at "
    "ELSE first_seen_at END"
)


# the conditions as SQLAlchemy writes ``Item.relevant.is_(True)``, so that queries use the index
RELEVANT_SQLITE = "relevant IS 1"
RELEVANT_PG = "relevant IS true"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; always returns aware UTC datetimes (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the archive; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it)
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --------------------------------------------------------------------------- sources


class Source(Base):
    """An outlet's feed, sitemap or listing page. The database is the source of truth once
    ``config/sources.yaml`` (or an OPML file) has been imported."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # rss | atom | sitemap | listing
    language: Mapped[str] = mapped_column(String(8))
    poll_interval_minutes: Mapped[int] = mapped_column(Integer, default=60)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    fetch_fulltext: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    category: Mapped[str] = mapped_column(String(40), default="other")
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    selectors: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(16), default="config")  # config | cli | opml
    # zone of naive dates (IANA name); None: from the language (see monitor.collect.dates)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    state: Mapped[FetchState | None] = relationship(
        back_populates="source", uselist=False, cascade="all, delete-orphan"
    )


class FetchState(Base):
    """Per-source HTTP and health state: conditional GET validators, failures, next due time."""

    __tablename__ = "fetch_state"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # HTTP status
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_due_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    retry_after_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_item_at: Mapped[datetime | None] = mapped_column(
        nullable=True
    )  # newest entry seen (sitemaps)

    source: Mapped[Source] = relationship(back_populates="state")


# --------------------------------------------------------------------------- crawl runs


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # running | ok | partial | failed | killed | aborted
    status: Mapped[str] = mapped_column(String(16), default="running")
    trigger: Mapped[str] = mapped_column(String(16), default="cli")  # cli | scheduler | demo
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sources_total: Mapped[int] = mapped_column(Integer, default=0)
    sources_ok: Mapped[int] = mapped_column(Integer, default=0)
    sources_failed: Mapped[int] = mapped_column(Integer, default=0)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new_items: Mapped[int] = mapped_column(Integer, default=0)
    known_items: Mapped[int] = mapped_column(Integer, default=0)
    revised_items: Mapped[int] = mapped_column(Integer, default=0)
    relevant_items: Mapped[int] = mapped_column(Integer, default=0)
    copies_folded: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")

    sources: Mapped[list[CrawlRunSource]] = relationship(
        back_populates="run", cascade="all, delete-orphan"
    )


class CrawlRunSource(Base):
    """One source's outcome within one run."""

    __tablename__ = "crawl_run_sources"
    __table_args__ = (UniqueConstraint("run_id", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    # ok | partial | not_modified | failed | skipped (partial: first message says what fell short)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new_items: Mapped[int] = mapped_column(Integer, default=0)
    known_items: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[list[Any]] = mapped_column(JSON, default=list)  # errors and warnings, text
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)

    run: Mapped[CrawlRun] = relationship(back_populates="sources")


# --------------------------------------------------------------------------- items and stories


class Story(Base):
    """A news event: a lead item, its copies and related reports."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL", use_alter=True), nullable=True
    )
    title: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_item_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    source_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Item(Base):
    """One piece of reporting at one canonical URL (revisions keep the history)."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source_id", "entry_key"),
        Index("ix_items_relevant_first_seen", "relevant", "first_seen_at"),
        # relevant reports by story, newest first: the river finds those outside any story
        Index(
            "ix_items_relevant_story_sort",
            "story_id",
            "sort_at",
            sqlite_where=text(RELEVANT_SQLITE),
            postgresql_where=text(RELEVANT_PG),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), nullable=True
    )
    entry_key: Mapped[str] = mapped_column(String(64))  # sha256 of guid → canonical url → title
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, index=True)
    guid: Mapped[str | None] = mapped_column(Text, nullable=True)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(
        Text, default=""
    )  # main text (plain), extracted or from the feed
    author: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)  # detected
    declared_language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    # ok | missing | future | implausible | unparseable
    date_quality: Mapped[str] = mapped_column(String(16), default="ok")
    # the source's own date string when it could not be read as a plausible date
    date_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # the time lists sort on: publication when plausible, else first seen (computed by the database)
    sort_at: Mapped[datetime] = mapped_column(Computed(SORT_AT_SQL), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    arrived_via: Mapped[str] = mapped_column(
        String(16), default="feed"
    )  # feed|sitemap|listing|manual
    fulltext_status: Mapped[str] = mapped_column(
        String(16), default="none"
    )  # none|ok|failed|skipped|copied|pending (feed text stored, article page not read yet)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    title_key: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # relevance
    relevant: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # stories
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="SET NULL"), nullable=True, index=True
    )
    story_role: Mapped[str | None] = mapped_column(String(16), nullable=True)  # lead|copy|related
    story_reason: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    source: Mapped[Source] = relationship()
    tags: Mapped[list[ItemTag]] = relationship(back_populates="item", cascade="all, delete-orphan")


class ItemRevision(Base):
    """An earlier title/text of an item whose content changed at the same URL."""

    __tablename__ = "item_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemTag(Base):
    """A theme or key figure attached to an item, with the evidence that triggered it."""

    __tablename__ = "item_tags"
    __table_args__ = (
        UniqueConstraint("item_id", "kind", "value"),
        Index("ix_item_tags_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # theme | figure | entity
    value: Mapped[str] = mapped_column(String(120))
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)

    item: Mapped[Item] = relationship(back_populates="tags")


class DedupSignature(Base):
    """An item indexed for matching: its kind (text or title), how many shingles it is matched by,
    and its matching time (the fold's window is read by it). ``minhash`` is empty for items folded
    since matching reads prepared items only (older archives may hold a MinHash here, unread)."""

    __tablename__ = "dedup_signatures"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # text | title
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    shingles: Mapped[int] = mapped_column(Integer, default=0)  # distinct shingles behind minhash
    item_time: Mapped[datetime | None] = mapped_column(nullable=True, index=True)  # matching window


class DedupBand(Base):
    """One LSH band hash of an item: items sharing a band hash are near-copy candidates."""

    __tablename__ = "dedup_bands"

    band_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    item_time: Mapped[datetime | None] = mapped_column(nullable=True)


class StoryEvent(Base):
    """Why an item joined (or left) a story: the signal and its similarity. Reversible."""

    __tablename__ = "story_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), nullable=True, index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    matched_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), nullable=True
    )
    # new_story | canonical_url | guid | fingerprint | title | near_copy | related | split | manual
    signal: Mapped[str] = mapped_column(String(24))
    role: Mapped[str] = mapped_column(String(16))  # lead | copy | related
    similarity: Mapped[float | None] = mapped_column(Float, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(nullable=True)


# --------------------------------------------------------------------------- digests


class Digest(Base):
    """One rendered digest for one recipient."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(200), index=True)  # recipient name from config
    address: Mapped[str] = mapped_column(String(320))
    # rendered | sending | sent | failed | preview
    status: Mapped[str] = mapped_column(String(16), default="rendered", index=True)
    period_start: Mapped[datetime | None] = mapped_column(nullable=True)
    period_end: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    message_id: Mapped[str] = mapped_column(String(320), unique=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    story_count: Mapped[int] = mapped_column(Integer, default=0)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    html_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    text_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    eml_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class DigestItem(Base):
    """An item carried by a digest. Items of *sent* digests are never sent to that recipient again."""

    __tablename__ = "digest_items"
    __table_args__ = (UniqueConstraint("digest_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    story_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Delivery(Base):
    """One SMTP attempt for a digest, with the server's answer."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))  # accepted | temporary | permanent | error
    smtp_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")


class RecipientState(Base):
    """Per-recipient delivery state: when the last digest was accepted by the server."""

    __tablename__ = "recipient_state"

    recipient: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_digest_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_due_at: Mapped[datetime | None] = mapped_column(nullable=True)  # scheduler bookkeeping
    # items first seen before this are not pending for the recipient (set on its first digest run)
    tracking_since: Mapped[datetime | None] = mapped_column(nullable=True)


# --------------------------------------------------------------------------- scheduler


class JobRun(Base):
    """One start and end of a scheduled job (crawl, digest, upkeep), for ``monitor status``."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(200), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|ok|failed|killed
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --------------------------------------------------------------------------- saved searches, alerts


class SavedSearch(Base):
    """A search kept by name: its own Atom feed and, optionally, a subscription to it."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    query: Mapped[str] = mapped_column(Text)
    # themes, languages, sources, figures (lists) and min_score: the search's filters
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    feed_token: Mapped[str] = mapped_column(String(64), unique=True)  # the feed URL's secret
    # subscription: none | digest | immediate (an alert per new matching story)
    mode: Mapped[str] = mapped_column(String(16), default="none")
    address: Mapped[str | None] = mapped_column(String(320), nullable=True)
    schedule: Mapped[str] = mapped_column(String(100), default="daily 07:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """One short message about one story to one recipient, sent right away (not in a digest).

    The items it covered (``alert_items``) decide whether a story was alerted before, so a
    ``dedup rebuild`` that renumbers stories never makes an alert go out twice.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    story_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # at creation time
    kind: Mapped[str] = mapped_column(String(16))  # breaking | update | match
    reason: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outlets: Mapped[int] = mapped_column(Integer, default=0)
    # held (quiet hours) | pending | sent | failed
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    not_before: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    message_id: Mapped[str] = mapped_column(String(320), unique=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    text_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    eml_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class AlertItem(Base):
    __tablename__ = "alert_items"
    __table_args__ = (UniqueConstraint("alert_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)


class Send(Base):
    """The delivery state of one message (a digest or an alert) to one target: ``email`` or an
    Apprise channel (``channel:NAME``). Sent at most once per target."""

    __tablename__ = "sends"
    __table_args__ = (UniqueConstraint("kind", "ref_id", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # digest | alert
    ref_id: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


# --------------------------------------------------------------------------- reviewer labels


class Label(Base):
    """A reviewer's judgement: an item is (not) relevant, or two items are (not) one story.

    The newest label of an item (or of a pair) wins over the rules in ``rescore`` and
    ``dedup rebuild``; older ones stay as history.
    """

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    # relevant | not_relevant | same_story | not_same_story
    kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    other_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), nullable=True, index=True
    )
    reviewer: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# --------------------------------------------------------------------------- readers


class Reader(Base):
    """Someone who reads the archive in the web app (one by default; more with named tokens).

    A *visit* is a run of page views less than :data:`monitor.db.readers.VISIT_GAP` apart;
    ``previous_visit_at`` is when the reader's last visit ended ("new since your last visit")."""

    __tablename__ = "readers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(nullable=True)
    previous_visit_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ReaderItem(Base):
    """One reader's state of one item: read, starred. A story is read when all its items are."""

    __tablename__ = "reader_items"
    __table_args__ = (Index("ix_reader_items_starred", "reader_id", "starred_at"),)

    reader_id: Mapped[int] = mapped_column(
        ForeignKey("readers.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)
    starred_at: Mapped[datetime | None] = mapped_column(nullable=True)
