"""Queries for alerts: recently active stories with their items, earlier alerts, alert records.

Whether a story was alerted to a recipient before is decided by the items an alert covered
(``alert_items``), not by the story's number, so a ``dedup rebuild`` that renumbers stories never
makes a story look new.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from monitor.db.models import Alert, AlertItem, Item, ItemTag, Source

UNSENT = ("held", "pending")


@dataclass(frozen=True)
class StoryItem:
    """A relevant item of a story, as alert rules see it."""

    id: int
    story_id: int
    source_id: int
    source: str
    language: str
    first_seen_at: datetime
    published_at: datetime | None
    title: str
    url: str
    score: float | None
    role: str | None
    figures: frozenset[str]
    themes: frozenset[str]


def active_stories(
    session: Session, since: datetime, until: datetime
) -> dict[int, list[StoryItem]]:
    """Every relevant item of the stories that received a relevant item in [since, until]."""
    story_ids: list[int] = sorted(
        s
        for s in session.scalars(
            select(Item.story_id)
            .where(
                Item.relevant.is_(True),
                Item.story_id.is_not(None),
                Item.first_seen_at >= since,
                Item.first_seen_at <= until,
            )
            .distinct()
        )
        if s is not None
    )
    out: dict[int, list[StoryItem]] = defaultdict(list)
    for start in range(0, len(story_ids), 500):
        chunk = story_ids[start : start + 500]
        rows = session.execute(
            select(
                Item.id,
                Item.story_id,
                Item.source_id,
                Source.name,
                func.coalesce(Item.language, Item.declared_language, Source.language),
                Item.first_seen_at,
                Item.published_at,
                Item.title,
                Item.url,
                Item.score,
                Item.story_role,
            )
            .join(Source, Source.id == Item.source_id)
            .where(Item.story_id.in_(chunk), Item.relevant.is_(True), Item.first_seen_at <= until)
            .order_by(Item.first_seen_at, Item.id)
        ).all()
        tags: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        ids = [r[0] for r in rows]
        for i in range(0, len(ids), 500):
            for item_id, kind, value in session.execute(
                select(ItemTag.item_id, ItemTag.kind, ItemTag.value).where(
                    ItemTag.item_id.in_(ids[i : i + 500]), ItemTag.kind.in_(("figure", "theme"))
                )
            ):
                tags[item_id][kind].add(value)
        for r in rows:
            story_id = r[1]
            assert story_id is not None
            out[story_id].append(
                StoryItem(
                    id=r[0],
                    story_id=story_id,
                    source_id=r[2],
                    source=r[3],
                    language=(r[4] or "").lower(),
                    first_seen_at=r[5],
                    published_at=r[6],
                    title=r[7] or "",
                    url=r[8] or "",
                    score=r[9],
                    role=r[10],
                    figures=frozenset(tags[r[0]]["figure"]),
                    themes=frozenset(tags[r[0]]["theme"]),
                )
            )
    return dict(out)


@dataclass(frozen=True)
class Earlier:
    """The alerts a recipient already has for some of a story's items."""

    level: int  # the most outlets any of them reported (0: none)
    unsent: bool  # one of them is still waiting (quiet hours) or being sent


def earlier_alerts(session: Session, recipient: str, item_ids: Sequence[int]) -> Earlier:
    level, unsent = 0, False
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Alert.outlets, Alert.status)
            .join(AlertItem, AlertItem.alert_id == Alert.id)
            .where(Alert.recipient == recipient, AlertItem.item_id.in_(ids[start : start + 500]))
            .distinct()
        )
        for outlets, status in rows:
            level = max(level, outlets or 0)
            unsent = unsent or status in UNSENT
    return Earlier(level, unsent)


def create_alert(session: Session, alert: Alert, item_ids: Iterable[int]) -> Alert:
    session.add(alert)
    session.flush()
    session.add_all(AlertItem(alert_id=alert.id, item_id=i) for i in sorted(set(item_ids)))
    session.flush()
    return alert


def due_alerts(session: Session, now: datetime) -> list[int]:
    """Alerts to send now: pending ones, and held ones whose quiet hours are over."""
    return list(
        session.scalars(
            select(Alert.id)
            .where(
                or_(
                    Alert.status == "pending",
                    (Alert.status == "held") & (Alert.not_before <= now),
                )
            )
            .order_by(Alert.id)
        )
    )


def alert_row(session: Session, alert_id: int) -> Alert | None:
    return session.get(Alert, alert_id)


def list_alerts(session: Session, *, recipient: str | None = None, limit: int = 50) -> list[Alert]:
    stmt = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if recipient is not None:
        stmt = stmt.where(Alert.recipient == recipient)
    alerts = list(session.scalars(stmt))
    for a in alerts:
        session.expunge(a)
    return alerts
