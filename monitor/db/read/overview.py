"""The archive at a glance: totals and relevant items per theme per day (the web app's front page)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from monitor.db.models import Item, ItemTag, Source, Story
from monitor.db.read.items import item_date


def daily_theme_counts(
    session: Session, *, days: int = 30, today: date | None = None
) -> dict[str, dict[date, int]]:
    """Relevant items per day (UTC) per theme over the last ``days`` days."""
    today = today or datetime.now(UTC).date()
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), UTC)
    when = item_date()
    if session.get_bind().dialect.name == "postgresql":
        day = func.to_char(func.timezone("UTC", when), "YYYY-MM-DD")
    else:
        day = func.strftime("%Y-%m-%d", when)
    rows = session.execute(
        select(day, ItemTag.value, func.count())
        .join(ItemTag, and_(ItemTag.item_id == Item.id, ItemTag.kind == "theme"))
        .where(
            Item.relevant.is_(True), Item.first_seen_at >= start - timedelta(days=7), when >= start
        )
        .group_by(day, ItemTag.value)
    )
    out: dict[str, dict[date, int]] = defaultdict(dict)
    for day_text, theme, n in rows:
        out[theme][date.fromisoformat(day_text)] = n
    return dict(out)


def archive_totals(session: Session) -> dict[str, int]:
    return {
        "items": session.scalar(select(func.count()).select_from(Item)) or 0,
        "relevant": session.scalar(select(func.count()).where(Item.relevant.is_(True))) or 0,
        "stories": session.scalar(select(func.count()).select_from(Story)) or 0,
        "sources": session.scalar(select(func.count()).select_from(Source)) or 0,
    }
