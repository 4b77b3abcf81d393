"""An alert's words: a subject line and a short plain-text body (email and channels alike).

Scraped text goes through :func:`monitor.digest.text.clean_line` (no control characters, no line
breaks in headers) and links through :func:`monitor.digest.text.safe_url` (http(s) only).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from monitor.alerts.detect import Owed
from monitor.db.alerts import StoryItem
from monitor.digest.text import clean_line, local_time, safe_url, truncate
from monitor.languages import language_name
from monitor.urls import strip_tracking

MAX_LINKS = 8
KIND_WORD = {"breaking": "Breaking", "update": "Update", "match": "New"}


@dataclass(frozen=True)
class AlertText:
    subject: str
    body: str


def message_id(recipient: str, domain: str) -> str:
    slug = "".join(ch for ch in recipient.lower() if ch.isalnum() or ch == "-")[:40] or "r"
    return f"<alert.{slug}.{uuid.uuid4().hex}@{domain}>"


def _lead(items: Sequence[StoryItem]) -> StoryItem:
    leads = [i for i in items if i.role == "lead"]
    return leads[0] if leads else items[0]


def compose_text(
    *,
    owed: Owed,
    items: Sequence[StoryItem],
    recipient: str,
    timezone: str,
    title: str,
    story_url: str | None,
) -> AlertText:
    """Subject and body for one alert about the story made of ``items`` (oldest first)."""
    tz = ZoneInfo(timezone)
    lead = _lead(items)
    headline = clean_line(lead.title, max_chars=160) or safe_url(lead.url) or "A story"
    outlets = owed.outlets
    count = f"{outlets} {'outlet' if outlets == 1 else 'outlets'}"
    subject = f"{KIND_WORD[owed.kind]}: {headline} — {count}"
    lines = [headline]
    when, _ = local_time(lead.published_at or lead.first_seen_at, tz)
    meta = [clean_line(lead.source, max_chars=80), when, language_name(lead.language)]
    lines.append(" · ".join(p for p in meta if p))
    url = safe_url(strip_tracking(lead.url))
    if url:
        lines.append(url)
    lines.append("")
    lines.append("Why: " + "; ".join(clean_line(r, max_chars=200) for r in owed.reasons) + ".")
    seen = {lead.source_id}
    others: list[str] = []
    for item in reversed(items):
        if item.source_id in seen:
            continue
        seen.add(item.source_id)
        link = safe_url(strip_tracking(item.url))
        name = clean_line(item.source, max_chars=80)
        others.append(
            f"- {name}: {clean_line(item.title, max_chars=140)}" + (f" <{link}>" if link else "")
        )
    if others:
        lines.append(f"Also reported by {len(others)}:")
        lines.extend(others[:MAX_LINKS])
        if len(others) > MAX_LINKS:
            lines.append(f"- and {len(others) - MAX_LINKS} more")
    if story_url:
        lines.append("")
        lines.append(f"The story: {story_url}")
    lines.append("")
    lines.append("--")
    lines.append(
        f"{clean_line(title, max_chars=80)} alert for {clean_line(recipient, max_chars=80)}. "
        "The story stays in your next digest."
    )
    return AlertText(
        subject=truncate(clean_line(subject, max_chars=400), 180), body="\n".join(lines) + "\n"
    )
