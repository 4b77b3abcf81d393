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
    outlets_before: int = 0  # outlets that had carried it before the period began

    @property
    def new_outlets(self) -> int:
        """Outlets that took the story up during the period (its coverage growth)."""
        return self.outlets - self.outlets_before

    @property
    def growth(self) -> str:
        """How the story moved in the period, in words: "new: 4 outlets, 6 reports",
        "+3 outlets (7 in all), 5 new reports" or "2 new reports from 3 outlets"."""
        reports = _plural(self.new_reports, "new report", "new reports")
        if self.outlets_before == 0:
            text = f"new: {_plural(self.outlets, 'outlet', 'outlets')}"
            return (
                f"{text}, {_plural(self.reports, 'report', 'reports')}"
                if self.reports > 1
                else text
            )
        if self.new_outlets > 0:
            return f"+{_plural(self.new_outlets, 'outlet', 'outlets')} ({self.outlets} in all), {reports}"
        return f"{reports} from {_plural(self.outlets, 'outlet', 'outlets')}"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


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
    top: tuple[StoryView, ...] = ()  # what moved most in the period, by coverage growth
    view_url: str = ""  # the digest's page on the published site ("view in browser")
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
