"""The river of news: a reader's newest relevant stories, with what they have read and starred.

Stories come newest first by their latest report (``stories.last_item_at``, the sort time of
their newest item); a relevant report outside any story stands as a story of its own. Each entry
carries the lead report, the outlets and languages, themes, key figures and entities of every
report, copies folded and related reports counted, and the reader's state: unread (some report
not read), starred (some report starred), new (a report arrived since the reader's last visit).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, aliased

from monitor.db.models import Item, ReaderItem, Story
from monitor.db.read.items import load_records, story_summaries
from monitor.records import ItemRecord, Outlet, RiverEntry, RiverPage

View = Literal["all", "unread", "starred", "new"]
VIEWS: tuple[View, ...] = ("all", "unread", "starred", "new")
NEW_COUNT_CAP = 500


def _state(reader: int, item: Any, column: Any) -> ColumnElement[bool]:
    return exists().where(
        ReaderItem.reader_id == reader, ReaderItem.item_id == item.id, column.is_not(None)
    )


def _item_view(
    item: Any, view: View, reader: int, since: datetime | None
) -> list[ColumnElement[bool]]:
    """Conditions on one relevant item for ``view``."""
    conds: list[ColumnElement[bool]] = [item.relevant.is_(True)]
    if view == "unread":
        conds.append(~_state(reader, item, ReaderItem.read_at))
    elif view == "starred":
        conds.append(_state(reader, item, ReaderItem.starred_at))
    elif view == "new" and since is not None:
        conds.append(item.first_seen_at > since)
    return conds


def _story_keys(
    session: Session, view: View, reader: int, since: datetime | None, limit: int
) -> list[tuple[datetime, int]]:
    member = aliased(Item)
    has = exists().where(member.story_id == Story.id, *_item_view(member, view, reader, since))
    rows = session.execute(
        select(Story.last_item_at, Story.id)
        .where(has)
        .order_by(Story.last_item_at.desc(), Story.id.desc())
        .limit(limit)
    )
    return [(r[0], r[1]) for r in rows]


def _loose_keys(
    session: Session, view: View, reader: int, since: datetime | None, limit: int
) -> list[tuple[datetime, int]]:
    rows = session.execute(
        select(Item.sort_at, Item.id)
        .where(Item.story_id.is_(None), *_item_view(Item, view, reader, since))
        .order_by(Item.sort_at.desc(), Item.id.desc())
        .limit(limit)
    )
    return [(r[0], r[1]) for r in rows]


def count_new(session: Session, since: datetime | None, *, cap: int = NEW_COUNT_CAP) -> int:
    """Stories (and loose reports) with a relevant report that arrived after ``since``."""
    if since is None:
        return 0
    keys = (
        select(func.coalesce(Item.story_id, -Item.id))
        .where(Item.relevant.is_(True), Item.first_seen_at > since)
        .distinct()
        .limit(cap + 1)
    )
    return session.scalar(select(func.count()).select_from(keys.subquery())) or 0


def _outlets(lead: ItemRecord, items: Sequence[ItemRecord]) -> tuple[Outlet, ...]:
    seen: dict[str, Outlet] = {}
    for r in [lead, *items]:
        seen.setdefault(r.source, Outlet(r.source, r.language))
    return tuple(seen.values())


def _union(items: Sequence[ItemRecord], attr: str) -> tuple[str, ...]:
    return tuple(sorted({v for r in items for v in getattr(r, attr)}))


def river(
    session: Session,
    reader: int,
    *,
    view: View = "all",
    page: int = 1,
    page_size: int = 25,
    since: datetime | None = None,
) -> RiverPage:
    """One page of the reader's river (``since``: the end of their previous visit)."""
    page = max(1, page)
    start = (page - 1) * page_size
    need = start + page_size + 1
    keys = sorted(
        [(t, "s", i) for t, i in _story_keys(session, view, reader, since, need)]
        + [(t, "i", i) for t, i in _loose_keys(session, view, reader, since, need)],
        key=lambda k: (k[0], k[2]),
        reverse=True,
    )
    has_next = len(keys) > start + page_size
    keys = keys[start : start + page_size]
    story_ids = [i for _, kind, i in keys if kind == "s"]
    members: dict[int, list[int]] = {}
    for item_id, story_id in session.execute(
        select(Item.id, Item.story_id).where(Item.story_id.in_(story_ids), Item.relevant.is_(True))
    ):
        if story_id is not None:
            members.setdefault(story_id, []).append(item_id)
    loose = [i for _, kind, i in keys if kind == "i"]
    all_ids = [i for ids in members.values() for i in ids] + loose
    records = {r.id: r for r in load_records(session, all_ids)}
    states: dict[int, tuple[bool, bool]] = {
        item_id: (read is not None, star is not None)
        for item_id, read, star in session.execute(
            select(ReaderItem.item_id, ReaderItem.read_at, ReaderItem.starred_at).where(
                ReaderItem.reader_id == reader, ReaderItem.item_id.in_(all_ids)
            )
        )
    }
    stories = {s.id: s for s in story_summaries(session, story_ids)}
    entries: list[RiverEntry] = []
    for _, kind, key in keys:
        story = stories.get(key) if kind == "s" else None
        items = [
            records[i] for i in (members.get(key, []) if kind == "s" else [key]) if i in records
        ]
        if not items:
            continue
        lead = next((r for r in items if story and r.id == story.lead_item_id), None)
        lead = lead or next((r for r in items if r.story_role == "lead"), None)
        lead = lead or min(items, key=lambda r: (r.sort_time, r.id))
        times = [r.sort_time for r in items]
        entries.append(
            RiverEntry(
                lead=lead,
                story=story,
                outlets=_outlets(lead, items),
                languages=tuple(dict.fromkeys(r.language for r in [lead, *items] if r.language)),
                themes=_union(items, "themes"),
                figures=_union(items, "figures"),
                entities=_union(items, "entities"),
                first_report_at=min(times),
                last_report_at=max(times),
                copies=sum(1 for r in items if r.story_role == "copy"),
                related=sum(1 for r in items if r.story_role == "related"),
                unread=any(not states.get(r.id, (False, False))[0] for r in items),
                starred=any(states.get(r.id, (False, False))[1] for r in items),
                new=since is not None and any(r.first_seen_at > since for r in items),
            )
        )
    new_count = count_new(session, since)
    return RiverPage(
        entries=entries,
        page=page,
        page_size=page_size,
        has_next=has_next,
        view=view,
        since=since,
        new_count=min(new_count, NEW_COUNT_CAP),
        new_capped=new_count > NEW_COUNT_CAP,
    )
