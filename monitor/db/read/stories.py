"""Reading stories: the most recently updated ones, and one story with its members and timeline."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import Item, Story, StoryEvent
from monitor.db.read.items import load_records
from monitor.db.stories import item_time
from monitor.records import StoryDetail, StoryEventRecord, StoryMember, StorySummary


def list_stories(session: Session, *, limit: int = 50, min_items: int = 1) -> list[StorySummary]:
    """Stories with at least ``min_items`` items, most recently updated first."""
    stmt = (
        select(Story)
        .where(Story.item_count >= min_items)
        .order_by(Story.last_item_at.desc(), Story.id.desc())
        .limit(limit)
    )
    return [
        StorySummary(
            id=s.id,
            title=s.title,
            lead_item_id=s.lead_item_id,
            first_seen_at=s.first_seen_at,
            last_item_at=s.last_item_at,
            item_count=s.item_count,
            source_count=s.source_count,
        )
        for s in session.scalars(stmt)
    ]


def story_detail(session: Session, story_id: int) -> StoryDetail | None:
    """A story: every member (with the signal that folded it), lead, copies, related, timeline."""
    story = session.get(Story, story_id)
    if story is None:
        return None
    rows = session.execute(
        select(Item.id, Item.story_reason, Item.published_at, Item.date_quality, Item.first_seen_at)
        .where(Item.story_id == story_id)
        .order_by(Item.first_seen_at, Item.id)
    ).all()
    records = {r.id: r for r in load_records(session, [row.id for row in rows])}
    members = []
    for row in rows:
        reason = row.story_reason or {}
        members.append(
            StoryMember(
                item=records[row.id],
                time=item_time(row),
                signal=reason.get("signal"),
                similarity=reason.get("similarity"),
                matched_item_id=reason.get("matched_item_id"),
            )
        )
    events = tuple(
        StoryEventRecord(
            at=ev.created_at,
            item_id=ev.item_id,
            item_title=title,
            signal=ev.signal,
            role=ev.role,
            similarity=ev.similarity,
            undone=ev.undone_at is not None,
            from_story=(ev.detail or {}).get("from_story"),
        )
        for ev, title in session.execute(
            select(StoryEvent, Item.title)
            .join(Item, Item.id == StoryEvent.item_id)
            .where(StoryEvent.story_id == story_id)
            .order_by(StoryEvent.created_at, StoryEvent.id)
        )
    )
    detail = StoryDetail(
        id=story.id,
        title=story.title,
        first_seen_at=story.first_seen_at,
        last_item_at=story.last_item_at,
        item_count=story.item_count or len(members),
        source_count=story.source_count or len({m.item.source for m in members}),
        lead_item_id=story.lead_item_id,
        members=tuple(members),
        events=events,
    )
    if not detail.title:
        lead = detail.lead
        detail = replace(detail, title=lead.title if lead else "")
    return detail
