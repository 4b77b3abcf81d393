"""The read model: plain, frozen records the archive hands to its readers.

The CLI, the web app, the exporters and reports receive these and nothing else (never an ORM row):
:mod:`monitor.db.read` builds them, one query per question. Each record that leaves the program
(JSON API, ``--json``, exports) has a ``to_dict`` whose keys are part of the interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from monitor.explanation import StoredExplanation

# story events a person made (``monitor stories split``); later folds and rebuilds respect them
MANUAL_SIGNALS = ("split", "manual")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


EXPORT_FIELDS = (
    "id",
    "url",
    "canonical_url",
    "source",
    "language",
    "published_at",
    "first_seen_at",
    "title",
    "text",
    "relevant",
    "score",
    "themes",
    "figures",
    "story",
    "story_role",
)


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One archived item with its source name, tags and place in a story."""

    id: int
    url: str
    canonical_url: str
    source: str
    language: str | None
    published_at: datetime | None
    first_seen_at: datetime
    title: str
    text: str
    relevant: bool
    score: float | None
    themes: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    story: int | None = None
    story_role: str | None = None  # lead | copy | related
    entities: tuple[str, ...] = ()
    sort_at: datetime | None = None  # publication when plausible, else first seen

    @property
    def date(self) -> datetime:
        return self.published_at or self.first_seen_at

    @property
    def sort_time(self) -> datetime:
        """The time lists sort this item on."""
        return self.sort_at or self.date

    @property
    def sort_label(self) -> str:
        """What :attr:`sort_time` is: ``published`` or ``first seen`` (no plausible date)."""
        return (
            "published"
            if self.published_at and self.sort_time == self.published_at
            else "first seen"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: times as ISO 8601 UTC, tags as lists."""
        return {
            "id": self.id,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "source": self.source,
            "language": self.language,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "first_seen_at": self.first_seen_at.isoformat(),
            "title": self.title,
            "text": self.text,
            "relevant": self.relevant,
            "score": self.score,
            "themes": list(self.themes),
            "figures": list(self.figures),
            "story": self.story,
            "story_role": self.story_role,
        }


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results. ``total`` is exact up to ``count_cap``; beyond it ``capped`` is set."""

    records: list[ItemRecord]
    page: int
    page_size: int
    total: int
    capped: bool
    has_next: bool

    @property
    def total_label(self) -> str:
        return f"{self.total:,}+" if self.capped else f"{self.total:,}"


@dataclass(frozen=True, slots=True)
class SearchGroup:
    """The reports of one story that match a search (or one report outside any story)."""

    items: tuple[ItemRecord, ...]  # in the search's order; the first is the best
    story: StorySummary | None = None

    @property
    def top(self) -> ItemRecord:
        return self.items[0]

    @property
    def others(self) -> tuple[ItemRecord, ...]:
        return self.items[1:]


@dataclass(frozen=True, slots=True)
class GroupedPage:
    """One page of search results grouped by story. ``total`` counts matching reports (exact up
    to the count cap; ``capped`` beyond it)."""

    groups: list[SearchGroup]
    page: int
    page_size: int
    total: int
    capped: bool
    has_next: bool

    @property
    def total_label(self) -> str:
        return f"{self.total:,}+" if self.capped else f"{self.total:,}"


class TagRecord(NamedTuple):
    """A theme, key figure or entity of an item and the evidence that triggered it."""

    kind: str  # theme | figure | entity
    value: str
    evidence: list[Any]


@dataclass(frozen=True, slots=True)
class ItemDetail:
    """One item with what its page and ``monitor show`` / ``explain`` add to the record."""

    record: ItemRecord
    summary: str
    explanation: StoredExplanation | None  # None: never judged
    declared_language: str | None  # the feed's language, else the source's: the matcher's hint
    tags: tuple[TagRecord, ...] = ()
    story_title: str | None = None
    date_text: str | None = None  # the source's date string when it was not a readable date


# --------------------------------------------------------------------------- stories


@dataclass(frozen=True, slots=True)
class StorySummary:
    id: int
    title: str
    lead_item_id: int | None
    first_seen_at: datetime
    last_item_at: datetime
    item_count: int
    source_count: int


@dataclass(frozen=True, slots=True)
class StoryMember:
    """One item of a story and why it joined (the fold's signal, similarity and matched item)."""

    item: ItemRecord
    time: datetime  # when the item is matched at: publication time when plausible, else first seen
    signal: str | None
    similarity: float | None
    matched_item_id: int | None

    @property
    def role(self) -> str:
        return self.item.story_role or ""


@dataclass(frozen=True, slots=True)
class StoryEventRecord:
    at: datetime
    item_id: int
    item_title: str
    signal: str
    role: str
    similarity: float | None
    undone: bool
    from_story: int | None = None  # a split: the story the item was taken from

    @property
    def manual(self) -> bool:
        return self.signal in MANUAL_SIGNALS


@dataclass(frozen=True, slots=True)
class StoryDetail:
    """A story: its members in arrival order, its lead, copies and related reports, its timeline."""

    id: int
    title: str
    first_seen_at: datetime
    last_item_at: datetime
    item_count: int
    source_count: int
    lead_item_id: int | None
    members: tuple[StoryMember, ...] = ()
    events: tuple[StoryEventRecord, ...] = ()

    @property
    def lead(self) -> ItemRecord | None:
        items = [m.item for m in self.members]
        found = next((r for r in items if r.id == self.lead_item_id), None)
        return found or next((r for r in items if r.story_role == "lead"), None)

    def _role(self, role: str) -> list[ItemRecord]:
        lead = self.lead
        return [m.item for m in self.members if m.item.story_role == role and m.item is not lead]

    @property
    def copies(self) -> list[ItemRecord]:
        return self._role("copy")

    @property
    def related(self) -> list[ItemRecord]:
        return self._role("related")

    def to_dict(self) -> dict[str, Any]:
        lead = self.lead
        return {
            "id": self.id,
            "title": self.title,
            "first_seen_at": self.first_seen_at.isoformat(),
            "last_item_at": self.last_item_at.isoformat(),
            "item_count": self.item_count,
            "source_count": self.source_count,
            "lead": lead.to_dict() if lead else None,
            "copies": [r.to_dict() for r in self.copies],
            "related": [r.to_dict() for r in self.related],
            "timeline": [
                {
                    "at": e.at.isoformat(),
                    "item": e.item_id,
                    "title": e.item_title,
                    "signal": e.signal,
                    "role": e.role,
                    "similarity": e.similarity,
                    "undone": e.undone,
                }
                for e in self.events
            ],
        }


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str
    language: str | None


@dataclass(frozen=True, slots=True)
class RiverEntry:
    """One story (or one report outside any story) in a reader's river of news."""

    lead: ItemRecord
    story: StorySummary | None
    outlets: tuple[Outlet, ...]  # distinct sources, lead's first
    languages: tuple[str, ...]
    themes: tuple[str, ...]
    figures: tuple[str, ...]
    entities: tuple[str, ...]
    first_report_at: datetime
    last_report_at: datetime
    copies: int
    related: int
    unread: bool
    starred: bool
    new: bool  # a report arrived since the reader's last visit

    @property
    def key(self) -> str:
        return f"s{self.story.id}" if self.story else f"i{self.lead.id}"

    @property
    def reports(self) -> int:
        return self.story.item_count if self.story else 1


@dataclass(frozen=True, slots=True)
class RiverPage:
    entries: list[RiverEntry]
    page: int
    page_size: int
    has_next: bool
    view: str  # all | unread | starred | new
    since: datetime | None  # the end of the reader's previous visit
    new_count: int  # stories with a report that arrived since then (capped at ``count_cap``)
    new_capped: bool


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A source with its fetch state and item counts (``monitor sources status``, the web app,
    ``monitor status``)."""

    id: int
    name: str
    url: str
    kind: str
    language: str
    enabled: bool
    items: int
    relevant_items: int
    last_item_at: datetime | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_status: int | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    next_due_at: datetime | None
    retry_after_until: datetime | None
    # the last crawl run that reached the source: its status (ok | partial | failed |
    # not_modified) and, when partial, what fell short ("3 article pages cut off")
    last_run_status: str | None = None
    last_run_note: str | None = None

    @property
    def health(self) -> str:
        if not self.enabled:
            return "disabled"
        if self.last_attempt_at is None:
            return "never fetched"
        if self.consecutive_failures:
            return "failing"
        if self.last_run_status == "partial":
            return "partial"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "kind": self.kind,
            "language": self.language,
            "enabled": self.enabled,
            "health": self.health,
            "items": self.items,
            "relevant_items": self.relevant_items,
            "last_item_at": _iso(self.last_item_at),
            "last_attempt_at": _iso(self.last_attempt_at),
            "last_success_at": _iso(self.last_success_at),
            "last_status": self.last_status,
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "next_due_at": _iso(self.next_due_at),
            "last_run_status": self.last_run_status,
            "last_run_note": self.last_run_note,
        }


@dataclass(frozen=True, slots=True)
class HealthCounts:
    """How many sources are in which state (``monitor status``)."""

    enabled: int
    disabled: int
    never_fetched: int
    failing: int  # enabled, and the last attempt failed
    backing_off: int  # failing and not due before a later time
    ok: int

    @classmethod
    def of(cls, sources: list[SourceHealth], now: datetime) -> HealthCounts:
        enabled = [s for s in sources if s.enabled]
        attempted = sum(1 for s in enabled if s.last_attempt_at is not None)
        failing = [s for s in enabled if s.consecutive_failures > 0]
        backing_off = sum(1 for s in failing if s.next_due_at is not None and s.next_due_at > now)
        return cls(
            enabled=len(enabled),
            disabled=len(sources) - len(enabled),
            never_fetched=max(len(enabled) - attempted, 0),
            failing=len(failing),
            backing_off=backing_off,
            ok=max(attempted - len(failing), 0),
        )


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """One source's outcome within one crawl run (a ``crawl_run_sources`` row)."""

    source_id: int
    name: str
    status: str  # ok | partial | not_modified | failed | skipped
    http_status: int | None
    fetched: int
    new_items: int
    known_items: int
    errors: int
    messages: tuple[str, ...]  # errors and warnings, as text
    duration_s: float


# --------------------------------------------------------------------------- digests


@dataclass(frozen=True, slots=True)
class DigestRecord:
    """One rendered digest for one recipient."""

    id: int
    recipient: str
    address: str
    status: str  # rendered | sending | sent | failed
    period_start: datetime | None
    period_end: datetime
    created_at: datetime
    sent_at: datetime | None
    message_id: str
    subject: str
    story_count: int
    item_count: int
    html_path: str | None
    text_path: str | None
    eml_path: str | None
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One SMTP attempt for a digest, with the server's answer."""

    attempted_at: datetime
    outcome: str  # accepted | temporary | permanent | error
    smtp_code: int | None
    message: str


@dataclass(frozen=True, slots=True)
class DigestDetail:
    digest: DigestRecord
    items: tuple[ItemRecord, ...]  # the items it carried, oldest first
    deliveries: tuple[DeliveryRecord, ...]
