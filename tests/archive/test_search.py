"""Full-text search with filters, on SQLite FTS5 and PostgreSQL tsvector alike."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from monitor.db.engine import Database
from monitor.db.fts import rebuild_index
from monitor.db.models import Item
from monitor.db.read.items import iter_records, search
from monitor.db.read.stories import story_detail
from monitor.errors import QuerySyntaxError
from monitor.search.filters import SearchFilters
from tests.archive.seed import Seeded


def _ids(db: Database, **kw: object) -> set[int]:
    with db.session() as s:
        page = search(s, SearchFilters(**kw), page_size=100)  # type: ignore[arg-type]
    return {r.id for r in page.records}


def _keys(seeded: Seeded, ids: set[int]) -> set[str]:
    names = {v: k for k, v in seeded.items.items()}
    return {names[i] for i in ids}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("corridor", {"rail_lead", "rail_copy"}, id="english word"),
        pytest.param("Corridor AND tehran", {"rail_lead"}, id="and, case folded"),
        pytest.param("tehran OR enrichment", {"rail_lead", "nuclear"}, id="or"),
        pytest.param("corridor -tehran", {"rail_copy"}, id="minus"),
        pytest.param("corridor NOT tehran", {"rail_copy"}, id="not"),
        pytest.param('"rail corridor agreement"', {"rail_lead", "rail_copy"}, id="phrase"),
        pytest.param('"agreement corridor"', set(), id="phrase order matters"),
        pytest.param("enrich*", {"nuclear"}, id="prefix"),
        pytest.param(
            "(drills OR enrichment) russia", {"script_title", "nuclear"}, id="parentheses"
        ),
        pytest.param("Иран", {"rail_ru", "navy_ru"}, id="russian inflection Ирана/Ираном"),
        pytest.param("Ираном", {"rail_ru", "navy_ru"}, id="russian inflected query"),
        pytest.param("учений", {"navy_ru"}, id="russian plural genitive"),
        pytest.param("железной дороги", {"rail_ru"}, id="russian two inflected words"),
        pytest.param("ایران", {"fa_treaty"}, id="persian yeh in query, arabic yeh in text"),
        pytest.param("همکاری", {"fa_treaty"}, id="persian kaf and yeh variants"),
        pytest.param("میخواهند", {"fa_treaty"}, id="persian without ZWNJ finds ZWNJ text"),
        pytest.param("می‌خواهند", {"fa_treaty"}, id="persian with ZWNJ"),
        pytest.param("ايران", {"fa_treaty"}, id="arabic yeh in query"),
    ],
)
def test_query_language(db: Database, seeded: Seeded, query: str, expected: set[str]) -> None:
    assert _keys(seeded, _ids(db, query=query)) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param('"rail corridor', "unclosed quote", id="unbalanced quote"),
        pytest.param("AND", "needs a term", id="lone operator"),
        pytest.param("iran OR", "needs a term", id="dangling or"),
        pytest.param("-iran", "positive term", id="only negative"),
        pytest.param("(iran", "unclosed", id="unbalanced parenthesis"),
        pytest.param("iran " * 200, "longer than", id="very long"),
        pytest.param("?!", "nothing to search", id="no word"),
    ],
)
def test_malformed_queries_raise_clear_errors(
    db: Database, seeded: Seeded, query: str, message: str
) -> None:
    with db.session() as s, pytest.raises(QuerySyntaxError) as exc:
        search(s, SearchFilters(query=query))
    assert message in str(exc.value)
    assert str(exc.value).startswith("query: ")


def test_filters(db: Database, seeded: Seeded) -> None:
    k = lambda **kw: _keys(seeded, _ids(db, **kw))  # noqa: E731
    assert k(query="iran", languages=("ru",)) == set()  # "iran" is Latin: no Russian item
    assert k(languages=("ru",)) == {"rail_ru", "navy_ru", "bushehr_ru"}
    assert k(sources=("Steppe Bulletin",)) == {"rail_copy", "script_title"}
    assert k(themes=("military",)) == {"navy_ru", "script_title"}
    assert k(figures=("Rafael Grossi",)) == {"nuclear"}
    assert k(story_id=seeded.stories["rail"]) == {"rail_lead", "rail_copy", "rail_ru"}
    assert k(date_from=date(2025, 5, 13), date_to=date(2025, 5, 14)) == {"navy_ru", "script_title"}
    assert k(query="cup") == set()  # irrelevant items are hidden by default
    assert k(query="cup", relevance="irrelevant") == {"football"}
    assert k(query="cup OR enrichment", relevance="all") == {"football", "nuclear"}
    assert len(_ids(db, relevance="all")) == len(seeded.items)


def test_order_pages_and_counts(db: Database, seeded: Seeded) -> None:
    with db.session() as s:
        first = search(s, SearchFilters(query="iran OR russia OR россии"), page_size=2)
        second = search(s, SearchFilters(query="iran OR russia OR россии"), page=2, page_size=2)
        capped = search(s, SearchFilters(), page_size=2, count_cap=3)
    times = [(r.sort_time, r.id) for r in first.records + second.records]
    assert times == sorted(times, reverse=True)
    assert first.has_next
    assert first.total == second.total >= 4
    assert capped.capped
    assert capped.total_label == "3+"
    with db.session() as s:
        oldest = search(s, SearchFilters(query="russia", sort="oldest"), page_size=10)
        ranked = search(s, SearchFilters(query="corridor", sort="relevance"), page_size=10)
    assert [r.sort_time for r in oldest.records] == sorted(r.sort_time for r in oldest.records)
    assert {r.id for r in ranked.records} == {seeded.items["rail_lead"], seeded.items["rail_copy"]}


def test_index_follows_updates_and_deletes(db: Database, seeded: Seeded) -> None:
    nuclear = seeded.items["nuclear"]
    with db.session() as s:
        s.execute(update(Item).where(Item.id == nuclear).values(title="Board meets on centrifuges"))
    assert _ids(db, query="centrifuges") == {nuclear}
    assert _ids(db, query="IAEA") == set()
    with db.session() as s:
        s.delete(s.get(Item, nuclear))
    assert _ids(db, query="centrifuges") == set()
    with db.session() as s:
        rebuild_index(s)
    assert _keys(seeded, _ids(db, query="corridor")) == {"rail_lead", "rail_copy"}


def test_iter_records_streams_everything_with_tags(db: Database, seeded: Seeded) -> None:
    with db.session() as s:
        records = list(iter_records(s, SearchFilters(relevance="all"), batch_size=3))
    assert [r.id for r in records] == sorted(seeded.items.values())
    lead = next(r for r in records if r.id == seeded.items["rail_lead"])
    assert lead.themes == ("economy", "treaty")
    assert lead.figures == ("Vladimir Putin",)
    assert lead.story == seeded.stories["rail"]
    assert lead.story_role == "lead"
    assert lead.source == "Caspian Wire"
    assert lead.relevant is True


def test_story_detail(db: Database, seeded: Seeded) -> None:
    with db.session() as s:
        story = story_detail(s, seeded.stories["rail"])
    assert story is not None
    assert story.lead is not None
    assert story.lead.id == seeded.items["rail_lead"]
    assert [r.id for r in story.copies] == [seeded.items["rail_copy"]]
    assert [r.id for r in story.related] == [seeded.items["rail_ru"]]
    assert [e.role for e in story.events] == ["lead", "copy", "related"]
