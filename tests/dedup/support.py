"""Building stored items for dedup tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from monitor.config import shipped_outlets
from monitor.db.models import Item, ItemTag, Source
from monitor.dedup.text import prepare_body
from monitor.identity import content_fingerprint, entry_key, title_key
from monitor.urls import canonicalize_url

T0 = datetime(2025, 3, 10, 9, tzinfo=UTC)

BODY = (
    "Russian Foreign Minister Sergei Lavrov met his Iranian counterpart in Moscow on Monday to "
    "discuss the prospects of talks on the nuclear programme and regional security.\n"
    "Lavrov said Russia was ready to help find a compromise and warned that threats of force would "
    "only make a settlement harder to reach for every side involved.\n"
    "The Iranian minister briefed his host on the exchange of messages through Omani mediators and "
    "said his country would not negotiate under pressure.\n"
    "The ministers agreed to prepare a session of the intergovernmental commission in May."
)
OTHER = (
    "Gazprom and the national gas company signed a memorandum on supplies through Azerbaijan, "
    "with a first stage of up to two billion cubic metres a year and a later increase possible.\n"
    "The price and the pipeline route still have to be agreed, the companies said in a joint "
    "statement released after the ceremony in the capital on Thursday afternoon.\n"
    "Winter shortages have hit industry and households despite large reserves in the ground."
)

OUTLETS = shipped_outlets()


def source(session: Session, name: str) -> Source:
    src = Source(name=name, url=f"https://{name}.example.org/feed", kind="rss", language="en")
    session.add(src)
    session.flush()
    return src


def item(
    session: Session,
    src: Source,
    title: str,
    text: str,
    *,
    hours: float = 0,
    url: str | None = None,
    guid: str | None = None,
    language: str = "en",
    figures: tuple[str, ...] = (),
    themes: tuple[str, ...] = (),
    relevant: bool | None = True,
) -> Item:
    n = session.query(Item).count() + 1
    raw_url = url or f"https://{src.name}.example.org/news/{n}"
    canonical = canonicalize_url(raw_url)
    when = T0 + timedelta(hours=hours)
    row = Item(
        source_id=src.id,
        entry_key=entry_key(guid, canonical, title, outlets=OUTLETS),
        url=raw_url,
        canonical_url=canonical,
        guid=guid,
        title=title,
        text=text,
        language=language,
        published_at=when,
        first_seen_at=when,
        content_hash=content_fingerprint(title, prepare_body(text, OUTLETS).body, OUTLETS),
        title_key=title_key(title, OUTLETS),
        relevant=relevant,
    )
    session.add(row)
    session.flush()
    session.add_all(ItemTag(item_id=row.id, kind="figure", value=f) for f in figures)
    session.add_all(ItemTag(item_id=row.id, kind="theme", value=t) for t in themes)
    session.flush()
    return row
