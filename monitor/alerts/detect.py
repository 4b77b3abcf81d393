"""When a story breaks, and what each recipient is owed. Pure functions over plain values.

A story **breaks** (``alerts:`` settings) when, counting its relevant items:

1. ``min_sources`` distinct outlets reported it within the last ``window_hours``; or
2. ``second_language``: it is reported in two or more languages by two or more outlets, and an
   item in a language new to the story arrived within the window; or
3. a ``rules`` entry matches: an item carries one of the rule's key figures and (an item carries)
   one of its themes, the story has ``min_sources`` outlets, and one of them is within the window.

A recipient is **owed** an alert for a story when the story matches the recipient's filters and
query (some relevant item does) and either breaks (``alerts.breaking``) or is simply new to them
(``alerts.matches``: every new matching story). Each story is alerted once per recipient; it is
alerted again (an *update*) only when its outlets reach the next of ``update_steps`` above the
count the last alert reported, and never while an earlier alert of it is still waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.config import AlertSettings
from monitor.db.alerts import Earlier, StoryItem


@dataclass(frozen=True)
class Breaking:
    story_id: int
    outlets: int  # distinct outlets of the whole story
    recent_outlets: int  # … within the window
    languages: tuple[str, ...]
    reasons: tuple[str, ...]  # plain-language reasons, for the message and the record


def _languages_in_order(items: Sequence[StoryItem]) -> list[tuple[str, datetime]]:
    seen: dict[str, datetime] = {}
    for item in items:
        if item.language and item.language not in seen:
            seen[item.language] = item.first_seen_at
    return sorted(seen.items(), key=lambda kv: kv[1])


def breaking(
    story_id: int, items: Sequence[StoryItem], settings: AlertSettings, now: datetime
) -> Breaking | None:
    """The story's reasons to break now, or None."""
    if not items:
        return None
    since = now - timedelta(hours=settings.window_hours)
    recent = [i for i in items if since <= i.first_seen_at <= now]
    if not recent:
        return None
    outlets = len({i.source_id for i in items})
    recent_outlets = len({i.source_id for i in recent})
    langs = _languages_in_order(items)
    reasons: list[str] = []
    if recent_outlets >= settings.min_sources:
        reasons.append(f"{recent_outlets} outlets within {settings.window_hours} h")
    if (
        settings.second_language
        and len(langs) >= 2
        and outlets >= 2
        and any(since <= at <= now for _, at in langs[1:])
    ):
        reasons.append("reported in " + " and ".join(code for code, _ in langs))
    figures = frozenset().union(*(i.figures for i in items))
    themes = frozenset().union(*(i.themes for i in items))
    for rule in settings.rules:
        if rule.figures and not figures & set(rule.figures):
            continue
        if rule.themes and not themes & set(rule.themes):
            continue
        if outlets < rule.min_sources:
            continue
        named = sorted((figures & set(rule.figures)) | (themes & set(rule.themes)))
        reasons.append(f"rule {rule.name}: {', '.join(named)}")
    if not reasons:
        return None
    return Breaking(
        story_id=story_id,
        outlets=outlets,
        recent_outlets=recent_outlets,
        languages=tuple(code for code, _ in langs),
        reasons=tuple(reasons),
    )


@dataclass(frozen=True)
class Owed:
    kind: str  # breaking | update | match
    outlets: int
    reasons: tuple[str, ...]


def next_step(level: int, steps: Sequence[int]) -> int | None:
    """The first update step above ``level`` outlets."""
    return next((s for s in steps if s > level), None)


def owed(
    *,
    outlets: int,
    story_breaks: Breaking | None,
    wants_breaking: bool,
    wants_matches: bool,
    new_match: bool,
    earlier: Earlier,
    steps: Sequence[int],
) -> Owed | None:
    """What one recipient is owed for one story that matches their filters and query.

    ``new_match``: a matching item arrived within the window (for ``alerts.matches``).
    """
    reasons = story_breaks.reasons if story_breaks else ()
    if earlier.level == 0 and not earlier.unsent:
        if wants_breaking and story_breaks is not None:
            return Owed("breaking", outlets, reasons)
        if wants_matches and new_match:
            return Owed("match", outlets, reasons or ("new story matching your search",))
        return None
    if earlier.unsent:
        return None
    step = next_step(earlier.level, steps)
    if step is not None and outlets >= step:
        return Owed("update", outlets, (f"now {outlets} outlets (was {earlier.level})",))
    return None
