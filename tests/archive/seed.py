"""A small archive in three languages, written through the ORM, for search, CLI and web tests.

Titles and texts were written for these tests. Some Persian text uses Arabic yeh/kaf (ي ك) and a
ZWNJ, so searches typed with Persian letters must still find it; Russian texts use inflected forms.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.db.engine import Database
from monitor.db.models import (
    Digest,
    FetchState,
    Item,
    ItemTag,
    Source,
    Story,
    StoryEvent,
)
from monitor.db.saved_searches import save_search
from monitor.explanation import explanation_to_json
from monitor.paths import shipped_config_dir
from monitor.relevance import Matcher, load_topic

BASE = datetime(2025, 5, 10, 8, 0, tzinfo=UTC)
BUSHEHR = "Bushehr nuclear power plant"  # an entity of the shipped topic
SAVED_SEARCH = "Bushehr · بوشهر"  # a saved search (feed only) in three scripts


@dataclass
class Seeded:
    items: dict[str, int] = field(default_factory=dict)
    stories: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    digest_id: int = 0
    feed_token: str = ""  # of the saved search SAVED_SEARCH


# key, source, lang, day offset, title, text, relevant, themes, figures, story key, role, explained
ITEMS: list[
    tuple[str, str, str, int, str, str, bool, list[str], list[str], str | None, str | None]
] = [
    (
        "rail_lead",
        "Caspian Wire",
        "en",
        0,
        "Tehran and Moscow sign a rail corridor agreement",
        "Officials from Iran and Russia signed an agreement on the north-south rail corridor.\n\n"
        "The deal covers freight tariffs and a new border terminal near Astara.",
        True,
        ["economy", "treaty"],
        ["Vladimir Putin"],
        "rail",
        "lead",
    ),
    (
        "rail_copy",
        "Steppe Bulletin",
        "en",
        0,
        "Iran and Russia sign rail corridor agreement",
        "Officials from Iran and Russia signed an agreement on the north-south rail corridor. "
        "The deal covers freight tariffs and a new border terminal near Astara.",
        True,
        ["economy", "treaty"],
        [],
        "rail",
        "copy",
    ),
    (
        "rail_ru",
        "Вестник Каспия",
        "ru",
        1,
        "Москва и Тегеран обсудили железнодорожный коридор",
        "Представители Ирана и России обсудили строительство железной дороги Решт — Астара. "
        "Министр заявил, что сотрудничество с Ираном расширяется.",
        True,
        ["economy"],
        [],
        "rail",
        "related",
    ),
    (
        "fa_treaty",
        "خبرگزاری نمونه",
        "fa",
        2,
        "ايران و روسيه قرارداد همكاري امضا كردند",
        "دو كشور می‌خواهند همكاري راهبردي را گسترش دهند. قرارداد جامع ايران و روسيه امضا شد.",
        True,
        ["treaty", "diplomacy"],
        ["Masoud Pezeshkian"],
        None,
        None,
    ),
    (
        "navy_ru",
        "Вестник Каспия",
        "ru",
        3,
        "Совместные военно-морские учения с Ираном",
        "Корабли России и Ирана провели учения в Каспийском море. Учения прошли успешно.",
        True,
        ["military"],
        [],
        None,
        None,
    ),
    (
        "script_title",
        "Steppe Bulletin",
        "en",
        4,
        '<script>alert("x")</script> Iran drills <b>bold</b>',
        'Naval drills by Iran and Russia. <img src=x onerror="alert(1)"> =HYPERLINK("http://x")',
        True,
        ["military"],
        [],
        None,
        None,
    ),
    (
        "football",
        "Caspian Wire",
        "en",
        5,
        "Local football club wins the cup",
        "The match ended two to one after extra time.",
        False,
        [],
        [],
        None,
        None,
    ),
    (
        "bushehr_en",
        "Caspian Wire",
        "en",
        7,
        "Rosatom speeds up the second unit at Bushehr",
        "The state corporation said the second unit of the Bushehr plant would be ready sooner. "
        "Engineers arrived at the site last week.",
        True,
        ["nuclear"],
        [],
        "bushehr",
        "lead",
    ),
    (
        "bushehr_ru",
        "Вестник Каспия",
        "ru",
        7,
        "«Росатом» ускорит строительство второго блока АЭС «Бушер»",
        "Госкорпорация сообщила, что второй блок станции в Бушере будет готов раньше срока.",
        True,
        ["nuclear"],
        [],
        "bushehr",
        "related",
    ),
    (
        "bushehr_fa",
        "خبرگزاری نمونه",
        "fa",
        7,
        "پیشرفت ساخت واحد دوم نیروگاه بوشهر",
        "مقامات گفتند واحد دوم نیروگاه بوشهر زودتر آماده می‌شود.",
        True,
        ["nuclear"],
        [],
        "bushehr",
        "related",
    ),
    (
        "nuclear",
        "Caspian Wire",
        "en",
        6,
        "IAEA board debates enrichment report on Iran",
        "Russia urged restraint as the board discussed uranium enrichment and sanctions.",
        True,
        ["nuclear"],
        ["Rafael Grossi"],
        None,
        None,
    ),
]

DIGEST_HTML = (
    "<!doctype html><html><head><style>h1{color:#222}</style></head>"
    '<body><h1>Digest</h1><p style="color:#555">Rail corridor agreement signed.</p></body></html>'
)


@functools.cache
def _matcher() -> Matcher:
    """The real matcher on the shipped topic, so pages show what users will see."""
    return Matcher(load_topic(shipped_config_dir() / "topics" / "iran-russia.yaml"))


def _explanation(title: str, body: str, lang: str) -> dict[str, object]:
    """What the matcher records for this item (matched terms per side, points, themes)."""
    return explanation_to_json(_matcher().judge(title, body, lang).explanation)


def seed_archive(db: Database, tmp_path: Path) -> Seeded:
    """Insert sources, items, tags, stories, events, fetch state and one sent digest."""
    out = Seeded()
    with db.session() as s:
        for name, lang, failing in (
            ("Caspian Wire", "en", False),
            ("Steppe Bulletin", "en", True),
            ("Вестник Каспия", "ru", False),
            ("خبرگزاری نمونه", "fa", False),
        ):
            src = Source(
                name=name,
                url=f"https://{len(out.sources)}.example.org/feed",
                kind="rss",
                language=lang,
            )
            s.add(src)
            s.flush()
            out.sources[name] = src.id
            s.add(
                FetchState(
                    source_id=src.id,
                    last_attempt_at=BASE + timedelta(days=7),
                    last_success_at=None if failing else BASE + timedelta(days=7),
                    last_status=503 if failing else 200,
                    last_error="feeds: HTTP 503 from <server>" if failing else None,
                    consecutive_failures=3 if failing else 0,
                )
            )
        stories: dict[str, Story] = {}
        for (
            key,
            src_name,
            lang,
            day,
            title,
            body,
            relevant,
            themes,
            figures,
            story_key,
            role,
        ) in ITEMS:
            when = BASE + timedelta(days=day)
            if story_key and story_key not in stories:
                story = Story(title=title, first_seen_at=when, last_item_at=when)
                s.add(story)
                s.flush()
                stories[story_key] = story
                out.stories[story_key] = story.id
            item = Item(
                source_id=out.sources[src_name],
                entry_key=key,
                url=f"https://news.example.org/{lang}/{key}?utm_source=x",
                canonical_url=f"https://news.example.org/{lang}/{key}",
                title=title,
                text=body,
                language=lang,
                published_at=when,
                first_seen_at=when + timedelta(minutes=5),
                relevant=relevant,
                score=4.5 if relevant else 0.2,
                explanation=_explanation(title, body, lang),
                story_id=stories[story_key].id if story_key else None,
                story_role=role,
            )
            item.tags = [ItemTag(kind="theme", value=t, evidence=[t]) for t in themes] + [
                ItemTag(kind="figure", value=f, evidence=[f]) for f in figures
            ]
            if key.startswith("bushehr"):
                item.tags.append(ItemTag(kind="entity", value=BUSHEHR, evidence=[]))
            s.add(item)
            s.flush()
            out.items[key] = item.id
            if story_key:
                story = stories[story_key]
                if role == "lead":
                    story.lead_item_id = item.id
                story.item_count += 1
                story.last_item_at = when
                s.add(
                    StoryEvent(
                        story_id=story.id,
                        item_id=item.id,
                        matched_item_id=None if role == "lead" else story.lead_item_id,
                        signal={"lead": "new_story", "copy": "near_copy", "related": "related"}[
                            role or "lead"
                        ],
                        role=role or "lead",
                        similarity=None if role == "lead" else 0.8,
                        created_at=when + timedelta(minutes=6),
                    )
                )
        stories["rail"].source_count = 3
        stories["bushehr"].source_count = 3
        html = tmp_path / "digest-1.html"
        html.write_text(DIGEST_HTML, encoding="utf-8")
        digest = Digest(
            recipient="analyst",
            address="analyst@example.org",
            status="sent",
            period_end=BASE + timedelta(days=2),
            sent_at=BASE + timedelta(days=2),
            message_id="<digest-1@example.org>",
            subject="Iran–Russia monitor: 2 stories",
            story_count=2,
            item_count=3,
            html_path=str(html),
        )
        s.add(digest)
        s.flush()
        out.digest_id = digest.id
        out.feed_token = save_search(
            s, name=SAVED_SEARCH, query="Bushehr OR بوشهر OR Бушер", filters={}, created_by="seed"
        ).feed_token
    return out
