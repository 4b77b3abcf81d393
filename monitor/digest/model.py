"""What a digest shows, as plain values: the templates see nothing else (no ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from monitor.languages import Direction


@dataclass(frozen=True, slots=True)
class Link:
    """Another outlet's copy of a story ("also reported by …")."""

    outlet: str
    url: str  # http(s) only, or "" when the stored URL is not safe to link
    title: str
    language: str
    direction: Direction


@dataclass(frozen=True, slots=True)
class StoryView:
    key: str
    story_id: int | None
    headline: str
    url: str  # the lead copy; http(s) only, or ""
    outlet: str
    when: str  # local time of the lead copy in the recipient's time zone
    when_iso: str
    language: str  # en | ru | fa | "" (unknown)
    language_name: str
    direction: Direction
    snippet: str
    figures: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    also: tuple[Link, ...] = ()
    also_count: int = 0  # other outlets that carried the story
    outlets: int = 1  # coverage: distinct outlets in total
    reports: int = 1  # relevant items in the story
    new_reports: int = 1  # items first carried by this digest
    update: bool = False  # the story was in an earlier digest of this recipient


@dataclass(frozen=True, slots=True)
class Section:
    theme: str
    label: str
    stories: tuple[StoryView, ...]


@dataclass(frozen=True, slots=True)
class FailedSourceView:
    name: str
    message: str
    when: str


@dataclass(frozen=True, slots=True)
class DigestView:
    """One recipient's digest for one period."""

    title: str
    recipient: str
    timezone: str
    period_start: datetime | None
    period_end: datetime
    period_text: str
    date_text: str  # the period's end date, local (for the subject)
    story_count: int
    item_count: int
    outlet_count: int
    key: tuple[StoryView, ...] = ()
    sections: tuple[Section, ...] = ()
    failed: tuple[FailedSourceView, ...] = ()
    held_back: int = 0  # pending items left for the next digest by digest.max_stories
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.story_count == 0

    @property
    def lead_headline(self) -> str:
        if self.key:
            return self.key[0].headline
        for section in self.sections:
            if section.stories:
                return section.stories[0].headline
        return ""
