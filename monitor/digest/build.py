"""From pending items to a :class:`~monitor.digest.model.DigestView`.

Rules, in order:

1. Pending items are grouped by story (an item without a story is a story of its own); stories keep
   the order of their oldest pending item. When there are more than ``digest.max_stories``, the
   newest stories are held back: their items stay pending for the next digest (never skipped).
2. Each story shows its lead copy (the story's lead item, else its oldest pending item) and, under
   it, one link per other outlet that carried it ("also reported by N"), counted over all of the
   story's relevant items, older ones included.
3. "Key developments" are the ``digest.key_developments`` stories covered by the most outlets (at
   least two); every other story appears once, in the section of its main theme (the theme most of
   its new items carry; a recipient's theme filter narrows the choice), or under "Other reporting".
4. The top line names the :data:`TOP_LINE` stories that moved most since the recipient's last
   digest (the period's start), by coverage growth: outlets that first carried the story during
   the period, then its new reports, then its outlets in all. A story first seen in the period
   grows by all of its outlets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from monitor.config import DigestSettings, RecipientConfig
from monitor.db import digests as q
from monitor.db.models import Item, Story
from monitor.digest.model import (
    DigestView,
    FailedSourceView,
    Link,
    Section,
    StoryView,
)
from monitor.digest.text import (
    clean_line,
    local_date,
    local_time,
    safe_url,
    snippet,
)
from monitor.languages import direction, language_name
from monitor.relevance.topic import Topic
from monitor.urls import strip_tracking

OTHER = ""
MAX_LINKS = 12
MAX_FIGURES = 6
TOP_LINE = 3


@dataclass(frozen=True)
class DigestPlan:
    view: DigestView
    items: tuple[tuple[int, int | None], ...]  # (item_id, story_id) carried by this digest


def _story_key(item: Item) -> str:
    return f"s{item.story_id}" if item.story_id is not None else f"i{item.id}"


def _language(item: Item) -> str:
    return (item.language or item.declared_language or "").lower()


def _when(item: Item) -> datetime:
    if item.published_at is not None and item.date_quality == "ok":
        return item.published_at
    return item.first_seen_at


@dataclass(frozen=True)
class ThemeSections:
    """The digest's theme sections: in the order of the topic file's ``themes:``, under their
    ``label:``. A theme the topic no longer has (stored tags outlive edits) comes after them,
    alphabetically, under its name; stories without a theme come last, as "Other reporting"."""

    order: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_topic(cls, topic: Topic) -> ThemeSections:
        return cls(tuple(topic.themes), {name: t.label for name, t in topic.themes.items()})

    def label(self, theme: str) -> str:
        if theme == OTHER:
            return "Other reporting"
        return self.labels.get(theme) or theme.replace("_", " ").capitalize()

    def rank(self, theme: str) -> tuple[int, str]:
        if theme == OTHER:
            return (len(self.order) + 1, "")
        if theme in self.order:
            return (self.order.index(theme), theme)
        return (len(self.order), theme)


def _story_view(
    key: str,
    story: Story | None,
    new_items: Sequence[Item],
    all_items: Sequence[Item],
    tags: dict[int, list[tuple[str, str]]],
    *,
    tz: ZoneInfo,
    sentences: int,
    update: bool,
    period_start: datetime | None,
    sections: ThemeSections,
) -> tuple[StoryView, Counter[str]]:
    by_id = {i.id: i for i in all_items}
    lead = by_id.get(story.lead_item_id) if story and story.lead_item_id else None
    if lead is None:
        lead = new_items[0]
    lead_outlet = clean_line(lead.source.name, max_chars=120)
    outlets = {lead_outlet}
    before = {
        clean_line(i.source.name, max_chars=120)
        for i in (*all_items, lead)
        if period_start is not None and i.first_seen_at < period_start
    }
    links: list[Link] = []
    seen_outlets = {lead_outlet}
    for item in all_items:
        if item.id == lead.id:
            continue
        outlet = clean_line(item.source.name, max_chars=120)
        outlets.add(outlet)
        if outlet in seen_outlets:
            continue
        seen_outlets.add(outlet)
        if len(links) < MAX_LINKS:
            lang = _language(item)
            links.append(
                Link(
                    outlet=outlet,
                    url=safe_url(strip_tracking(item.url)),
                    title=clean_line(item.title, max_chars=200),
                    language=lang,
                    direction=direction(lang),
                )
            )
    figures: Counter[str] = Counter()
    themes: Counter[str] = Counter()
    new_themes: Counter[str] = Counter()
    new_ids = {i.id for i in new_items}
    for item in all_items:
        for kind, value in tags.get(item.id, ()):
            if kind == "figure":
                figures[clean_line(value, max_chars=80)] += 1
            elif kind == "theme":
                themes[value] += 1
                if item.id in new_ids:
                    new_themes[value] += 1
    text = ""
    for candidate in (lead, *new_items):
        text = snippet(candidate.summary or candidate.text, sentences=sentences)
        if text:
            break
    lang = _language(lead)
    when, when_iso = local_time(_when(lead), tz)
    headline = clean_line(lead.title) or clean_line(story.title if story else "") or lead.url
    view = StoryView(
        key=key,
        story_id=story.id if story else None,
        headline=clean_line(headline),
        url=safe_url(strip_tracking(lead.url)),
        outlet=lead_outlet,
        when=when,
        when_iso=when_iso,
        language=lang,
        language_name=language_name(lang),
        direction=direction(lang),
        snippet=text,
        figures=tuple(f for f, _ in figures.most_common(MAX_FIGURES)),
        themes=tuple(sorted(themes, key=sections.rank)),
        also=tuple(links),
        also_count=len(seen_outlets) - 1,
        outlets=len(outlets),
        reports=len(by_id | {i.id: i for i in new_items}),
        new_reports=len(new_items),
        update=update,
        outlets_before=len(before),
    )
    return view, new_themes or themes


def _top_line(views: Sequence[tuple[StoryView, str, datetime]]) -> tuple[StoryView, ...]:
    """The stories that grew most in the period (rule 4 of the module docstring)."""
    grown = [v for v in views if v[0].new_outlets > 0 or v[0].new_reports > 0]
    grown.sort(
        key=lambda v: (-v[0].new_outlets, -v[0].new_reports, -v[0].outlets, -v[2].timestamp())
    )
    return tuple(v[0] for v in grown[:TOP_LINE])


def plan_digest(
    session: Session,
    *,
    title: str,
    settings: DigestSettings,
    recipient: RecipientConfig,
    pending: Sequence[Item],
    period_start: datetime | None,
    period_end: datetime,
    themes: ThemeSections,
) -> DigestPlan:
    """Group ``pending`` into stories and sections (see the module docstring); ``themes``: the
    sections' order and labels, from the topic."""
    tz = ZoneInfo(recipient.timezone)
    groups: dict[str, list[Item]] = {}
    for item in pending:
        groups.setdefault(_story_key(item), []).append(item)
    keys = list(groups)
    held_back = sum(len(groups[k]) for k in keys[settings.max_stories :])
    keys = keys[: settings.max_stories]

    story_ids = [int(k[1:]) for k in keys if k.startswith("s")]
    stories = q.stories_by_id(session, story_ids)
    context: dict[str, list[Item]] = {}
    for item in q.story_items(session, story_ids, until=period_end):
        context.setdefault(_story_key(item), []).append(item)
    all_ids = [i.id for k in keys for i in groups[k]] + [i.id for v in context.values() for i in v]
    tags = q.tags_for(session, all_ids)
    sent_before = q.stories_sent_before(session, recipient.name, story_ids)
    wanted_themes = set(recipient.filters.themes)

    views: list[tuple[StoryView, str, datetime]] = []
    carried: list[tuple[int, int | None]] = []
    for key in keys:
        new_items = groups[key]
        older = context.get(key, [])
        known = {i.id for i in older}
        all_items = older + [i for i in new_items if i.id not in known]
        story = stories.get(int(key[1:])) if key.startswith("s") else None
        story_view, theme_counts = _story_view(
            key,
            story,
            new_items,
            all_items,
            tags,
            tz=tz,
            sentences=settings.snippet_sentences,
            update=story is not None and story.id in sent_before,
            period_start=period_start,
            sections=themes,
        )
        if wanted_themes:
            theme_counts = Counter({t: n for t, n in theme_counts.items() if t in wanted_themes})
        main = (
            min(theme_counts, key=lambda t: (-theme_counts[t], themes.rank(t)))
            if theme_counts
            else OTHER
        )
        latest = max(_when(i) for i in new_items)
        views.append((story_view, main, latest))
        carried.extend((i.id, i.story_id) for i in new_items)

    ranked = sorted(views, key=lambda v: (-v[0].outlets, -v[0].reports, -v[2].timestamp()))
    key_views = [v for v in ranked if v[0].outlets >= 2][: settings.key_developments]
    key_ids = {v[0].key for v in key_views}
    by_theme: dict[str, list[tuple[StoryView, str, datetime]]] = {}
    for entry in ranked:
        if entry[0].key not in key_ids:
            by_theme.setdefault(entry[1], []).append(entry)
    sections = tuple(
        Section(theme=t, label=themes.label(t), stories=tuple(v[0] for v in by_theme[t]))
        for t in sorted(by_theme, key=themes.rank)
    )

    failed = tuple(
        FailedSourceView(
            name=clean_line(f.name, max_chars=120),
            message=clean_line(f.message, max_chars=200),
            when=local_time(f.at, tz)[0],
        )
        for f in q.failed_sources(session, period_start, period_end)
    )
    outlets = {v[0].outlet for v in views} | {link.outlet for v in views for link in v[0].also}
    start_text = local_time(period_start, tz)[0] if period_start else "the beginning"
    end_text = local_time(period_end, tz)[0]
    view = DigestView(
        title=clean_line(title, max_chars=120),
        recipient=recipient.name,
        timezone=recipient.timezone,
        period_start=period_start,
        period_end=period_end,
        period_text=f"{start_text} – {end_text}",
        date_text=local_date(period_end, tz),
        story_count=len(views),
        item_count=len(carried),
        outlet_count=len(outlets),
        key=tuple(v[0] for v in key_views),
        sections=sections,
        failed=failed,
        held_back=held_back,
        top=_top_line(views),
    )
    return DigestPlan(view=view, items=tuple(carried))
