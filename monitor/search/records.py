"""Plain records the archive hands to the CLI, the web app and the exporters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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

    @property
    def date(self) -> datetime:
        return self.published_at or self.first_seen_at

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
class StoryEventRecord:
    at: datetime
    item_id: int
    item_title: str
    signal: str
    role: str
    similarity: float | None
    undone: bool


@dataclass(frozen=True, slots=True)
class StoryDetail:
    id: int
    title: str
    first_seen_at: datetime
    last_item_at: datetime
    item_count: int
    source_count: int
    lead: ItemRecord | None
    copies: list[ItemRecord] = field(default_factory=list)
    related: list[ItemRecord] = field(default_factory=list)
    events: list[StoryEventRecord] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "first_seen_at": self.first_seen_at.isoformat(),
            "last_item_at": self.last_item_at.isoformat(),
            "item_count": self.item_count,
            "source_count": self.source_count,
            "lead": self.lead.to_dict() if self.lead else None,
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
class SourceHealth:
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
    consecutive_failures: int
    next_due_at: datetime | None

    @property
    def health(self) -> str:
        if not self.enabled:
            return "disabled"
        if self.last_attempt_at is None:
            return "never fetched"
        if self.consecutive_failures:
            return "failing"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

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
            "last_item_at": iso(self.last_item_at),
            "last_attempt_at": iso(self.last_attempt_at),
            "last_success_at": iso(self.last_success_at),
            "last_status": self.last_status,
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "next_due_at": iso(self.next_due_at),
        }
