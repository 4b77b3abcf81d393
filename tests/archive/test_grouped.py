"""Search as readers use it: field operators, names across languages, results grouped by story,
and the order by publication time (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from monitor.db.engine import Database
from monitor.db.models import Item, Source, Story
from monitor.db.read import items as read_items
from monitor.db.read.items import iter_hits, search, search_grouped
from monitor.paths import shipped_config_dir
from monitor.query import parse_query
from monitor.relevance.names import NameTable
from monitor.relevance.topic import load_topic
from monitor.search.filters import SearchFilters
from tests.archive.seed import BUSHEHR, Seeded
from tests.archive.webapp import make_app


def _keys(seeded: Seeded, ids: list[int]) -> set[str]:
    names = {v: k for k, v in seeded.items.items()}
    return {names[i] for i in ids}


def _found(db: Database, seeded: Seeded, query: str, **kw: object) -> set[str]:
    with db.session() as s:
        page = search(s, SearchFilters(query=query, **kw), page_size=50)  # type: ignore[arg-type]
    return _keys(seeded, [r.id for r in page.records])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("title:corridor", {"rail_lead", "rail_copy"}),
        ("corridor -title:tehran", {"rail_copy"}),
        ('source:"steppe bulletin"', {"rail_copy", "script_title"}),
        ("source:steppe drills", {"script_title"}),
        ("lang:ru", {"rail_ru", "navy_ru", "bushehr_ru"}),
        ("lang:ru -theme:economy", {"navy_ru", "bushehr_ru"}),
        ("theme:treaty", {"rail_lead", "rail_copy", "fa_treaty"}),
        ("figure:putin", {"rail_lead"}),
        ("entity:bushehr", {"bushehr_en", "bushehr_ru", "bushehr_fa"}),
        ("entity:bushehr lang:fa", {"bushehr_fa"}),
        ("figure:grossi OR title:corridor", {"nuclear", "rail_lead", "rail_copy"}),
        ("(lang:fa OR lang:ru) учения", {"navy_ru"}),
    ],
)
def test_field_operators(db: Database, seeded: Seeded, query: str, expected: set[str]) -> None:
    assert _found(db, seeded, query) == expected


def test_a_name_in_one_language_finds_all_three(db: Database, seeded: Seeded) -> None:
    names = NameTable.from_topic(load_topic(shipped_config_dir() / "topics" / "iran-russia.yaml"))
    everywhere = {"bushehr_en", "bushehr_ru", "bushehr_fa"}
    for typed in ("Bushehr", "Бушере", "بوشهر"):
        expansion = names.expand(parse_query(typed))
        assert [m.name for m in expansion.names] == [BUSHEHR]
        with db.session() as s:
            page = search(s, SearchFilters(query=typed), node=expansion.node, page_size=50)
        assert _keys(seeded, [r.id for r in page.records]) == everywhere, typed
    assert _found(db, seeded, "Bushehr") == {"bushehr_en"}  # not widened: only the spelling


def test_results_are_grouped_by_story(db: Database, seeded: Seeded) -> None:
    with db.session() as s:
        page = search_grouped(s, SearchFilters(query="corridor OR коридор OR железной"))
    groups = [_keys(seeded, [r.id for r in g.items]) for g in page.groups]
    assert groups == [{"rail_lead", "rail_copy", "rail_ru"}]
    assert page.groups[0].story is not None
    assert page.groups[0].story.id == seeded.stories["rail"]
    assert page.total == 3
    with db.session() as s:
        loose = search_grouped(s, SearchFilters(query="учения OR drills"))
    # reports outside any story are groups of their own, newest first
    assert [[r.id for r in g.items] for g in loose.groups] == [
        [seeded.items["script_title"]],
        [seeded.items["navy_ru"]],
    ]


def test_web_search_shows_groups_names_and_the_switch(
    db: Database, seeded: Seeded, tmp_path: Path
) -> None:
    client = TestClient(make_app(db, tmp_path), base_url="http://127.0.0.1")
    page = client.get("/search", params={"q": "Bushehr"}).text
    assert page.count('class="item group"') == 1
    assert "2 more matching reports in this story" in page
    assert "Also searching in the other languages" in page
    assert "бушер*" in page
    assert 'href="/search?q=Bushehr&amp;xl=0"' in page
    exact = client.get("/search", params={"q": "Bushehr", "xl": "0"}).text
    assert "more matching" not in exact
    assert "Searching only what you typed" in exact
    # entity chips link to the entity filter
    assert f'href="/search?q=Bushehr&amp;entity={BUSHEHR.replace(" ", "+")}"' in page
    chip = client.get("/search", params={"entity": BUSHEHR}).text
    assert chip.count('class="item group"') == 1
    # the time shown is the one results are sorted on
    assert "published <time" in page


def _dated_archive(db: Database, n: int, seed: int) -> None:
    rng = random.Random(seed)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    with db.session() as s:
        src = Source(name="Wire", url="https://wire.example.org/feed", kind="rss", language="en")
        s.add(src)
        s.flush()
        for i in range(n):
            seen = t0 + timedelta(hours=i)  # arrival order is id order
            quality = rng.choice(["ok", "ok", "ok", "missing", "future"])
            published = (
                seen - timedelta(hours=rng.randint(0, 400)) + timedelta(minutes=rng.randint(0, 600))
            )
            s.add(
                Item(
                    source_id=src.id,
                    entry_key=f"k{i}",
                    url=f"https://wire.example.org/{i}",
                    canonical_url=f"https://wire.example.org/{i}",
                    title=f"Report {i} on talks",
                    text="Talks " + ("tariff" if i % 3 else "grain"),
                    language="en",
                    published_at=None if quality == "missing" else published,
                    date_quality=quality,
                    first_seen_at=seen,
                    relevant=True,
                )
            )


@pytest.mark.parametrize("query", ["talks", "grain", ""])
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_order_is_by_publication_time_else_first_seen(
    db: Database, query: str, sort: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read_items, "FIRST_CHUNK", 7)  # many small chunks: the walk's bound works
    monkeypatch.setattr(read_items, "COUNT_CAP", 6)
    _dated_archive(db, 120, seed=3)
    with db.session() as s:
        rows = s.execute(
            __import__("sqlalchemy")
            .select(Item.id, Item.published_at, Item.date_quality, Item.first_seen_at, Item.text)
            .order_by(Item.id)
        ).all()
        hits = [h.id for h in iter_hits(s, SearchFilters(query=query, sort=sort))]  # type: ignore[arg-type]
    expected = sorted(
        (
            (r.published_at if r.published_at and r.date_quality == "ok" else r.first_seen_at),
            r.id,
        )
        for r in rows
        if not query or query in r.text.lower() or query == "talks"
    )
    if sort == "newest":
        expected.reverse()
    assert hits == [i for _, i in expected]


def test_a_group_holds_its_old_matching_reports_beyond_the_walk(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read_items, "COUNT_CAP", 5)  # the walk reads a few rows at a time
    monkeypatch.setattr(read_items, "SORT_SKEW", timedelta(hours=21))  # still true of the data
    _dated_archive(db, 60, seed=5)
    with db.session() as s:
        ids = list(s.scalars(__import__("sqlalchemy").select(Item.id).order_by(Item.id)))
        story = Story(title="Talks", first_seen_at=datetime(2025, 1, 1, tzinfo=UTC))
        s.add(story)
        s.flush()
        for item_id, role in ((ids[-1], "lead"), (ids[0], "related"), (ids[1], "copy")):
            item = s.get(Item, item_id)
            item.story_id, item.story_role = story.id, role
        other = s.get(Item, ids[1])  # a member that does not match
        other.title, other.text = "Weather", "nothing of the kind"
        lead = s.get(Item, ids[-1])
        lead.published_at, lead.date_quality = lead.first_seen_at + timedelta(hours=20), "ok"
        story_id = story.id
    with db.session() as s:
        page = search_grouped(s, SearchFilters(query="talks"), page_size=1)
    [group] = page.groups
    assert group.story is not None
    assert group.story.id == story_id
    assert {r.id for r in group.items} == {ids[-1], ids[0]}
