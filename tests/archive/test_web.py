"""The web app and JSON API over a real archive (SQLite and PostgreSQL), through Starlette's client."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from monitor.db.engine import Database
from monitor.db.models import Item
from tests.archive.seed import Seeded
from tests.archive.webapp import make_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def client(db: Database, seeded: Seeded, tmp_path: Path) -> TestClient:
    return TestClient(make_app(db, tmp_path), base_url="http://127.0.0.1")


def test_pages_render_with_csp_and_escaping(client: TestClient, seeded: Seeded) -> None:
    for path in (
        "/",
        "/overview",
        "/search",
        "/sources",
        "/digests",
        f"/digests/{seeded.digest_id}",
    ):
        resp = client.get(path)
        assert resp.status_code == 200, path
        csp = resp.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "unsafe-inline" not in csp
        # one script, from this site: nothing inline
        assert re.findall(r"<script[^>]*>", resp.text) == ['<script src="/static/app.js" defer>']
    page = client.get(f"/items/{seeded.items['script_title']}").text
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "<img" not in page
    assert "onerror=" not in page.replace("onerror=&#34;", "")
    svg = client.get("/overview").text
    assert "<svg" in svg
    assert "style=" not in svg


def test_search_page_filters_and_highlights(client: TestClient, seeded: Seeded) -> None:
    page = client.get("/search", params={"q": "Иран", "language": "ru"}).text
    assert f'id="item-{seeded.items["rail_ru"]}"' in page
    assert f'id="item-{seeded.items["navy_ru"]}"' in page
    assert "<mark>Ирана</mark>" in page or "<mark>Ираном</mark>" in page
    assert 'type="application/atom+xml"' in page
    fa = client.get("/search", params={"q": "همکاری"}).text
    assert f'id="item-{seeded.items["fa_treaty"]}"' in fa
    assert 'dir="rtl"' in fa
    assert "<mark>همكاري</mark>" in fa  # the Arabic-letter spelling in the text is marked


@pytest.mark.parametrize("query", ['"unclosed', "AND", "x" * 600, "-only", "(a OR"])
def test_malformed_query_gives_a_message_not_an_error_page(client: TestClient, query: str) -> None:
    resp = client.get("/search", params={"q": query})
    assert resp.status_code == 200
    assert 'class="error"' in resp.text
    assert "query: " in resp.text
    api = client.get("/api/search", params={"q": query})
    assert api.status_code == 400
    assert api.json()["error"].startswith("query: ")
    assert "position" in api.json()
    assert client.get("/feed.atom", params={"q": query}).status_code == 400


def test_bad_filter_values_are_explained(client: TestClient) -> None:
    resp = client.get("/api/search", params={"from": "yesterday"})
    assert resp.status_code == 400
    assert "YYYY-MM-DD" in resp.json()["error"]
    assert "not a date" in client.get("/search", params={"from": "May"}).text


def test_item_page_explains_and_links(client: TestClient, seeded: Seeded) -> None:
    page = client.get(f"/items/{seeded.items['rail_lead']}").text
    assert "<mark>Iran</mark>" in page
    assert "<mark>Russia</mark>" in page
    assert 'href="https://news.example.org/en/rail_lead?utm_source=x"' in page
    assert f'href="/stories/{seeded.stories["rail"]}"' in page
    assert "economy" in page
    assert "Why it is relevant" in page
    # the article comes before its explanation, which is folded
    assert page.index('<section class="text"') < page.index('<details class="why"')
    assert "against a threshold of" in page
    # the sides under the topic's labels
    assert '<th scope="row">Iran</th>' in page
    assert '<th scope="row">Russia</th>' in page
    # only matched terms are marked; "and" only inside the bilateral form "Iran and Russia"
    assert "<mark>the</mark>" not in page
    assert "<mark>an</mark>" not in page
    assert "<mark>Iran</mark> <mark>and</mark> <mark>Russia</mark>" in page
    fa = client.get(f"/items/{seeded.items['fa_treaty']}").text
    assert re.search(r'<article class="item-page" lang="fa" dir="rtl">', fa)
    assert client.get("/items/999999").status_code == 404


@pytest.mark.parametrize(
    "stored",
    [
        {"version": 0, "score": 5},  # an older format
        {"version": 1, "score": "high", "sides": []},  # the right version, a wrong shape
        ["not", "an", "object"],
    ],
    ids=["old version", "malformed", "not an object"],
)
def test_an_unreadable_stored_explanation_never_breaks_a_page(
    client: TestClient, db: Database, seeded: Seeded, stored: object
) -> None:
    item_id = seeded.items["rail_lead"]
    with db.session() as session:
        item = session.get(Item, item_id)
        assert item is not None
        item.explanation = stored  # type: ignore[assignment]
    resp = client.get(f"/items/{item_id}")
    assert resp.status_code == 200
    assert "monitor rescore" in resp.text
    assert "<mark>Iran</mark>" not in resp.text  # nothing to mark from
    api = client.get(f"/api/items/{item_id}").json()
    assert "monitor rescore" in api["explanation"]["unreadable"]


def test_story_page_shows_lead_copies_related_and_timeline(
    client: TestClient, seeded: Seeded
) -> None:
    page = client.get(f"/stories/{seeded.stories['rail']}").text
    lead = page.split('<section class="lead">')[1].split("</section>")[0]
    assert f"item-{seeded.items['rail_lead']}" in lead
    timeline = page.split('<ol class="timeline">')[1].split("</ol>")[0]
    # every report in publication order, with its outlet and language
    order = [
        timeline.index(f'id="item-{seeded.items[k]}"')
        for k in ("rail_lead", "rail_copy", "rail_ru")
    ]
    assert order == sorted(order)
    assert 'Вестник Каспия</span> <span class="lang">ru</span>' in timeline
    # the merge log is folded under details
    log = page.split('<details class="merge-log">')[1]
    assert log.count("joined as") == 3
    assert "joined as" not in timeline


def test_sources_page_shows_health(client: TestClient) -> None:
    page = client.get("/sources").text
    assert 'class="health-failing"' in page
    assert "HTTP 503 from &lt;server&gt;" in page


def test_override_directory_wins_and_can_extend_the_shipped_page(
    db: Database, seeded: Seeded, tmp_path: Path
) -> None:
    override = tmp_path / "templates" / "web"
    override.mkdir(parents=True)
    (override / "sources.html").write_text(
        '{% extends "default:sources.html" %}{% block title %}Our outlets{% endblock %}',
        encoding="utf-8",
    )
    page = TestClient(make_app(db, tmp_path), base_url="http://127.0.0.1").get("/sources").text
    assert "<title>Our outlets · " in page
    assert 'class="health-failing"' in page  # the shipped page's table, unchanged
    assert "HTTP 503 from &lt;server&gt;" in page  # still escaped


def test_digest_html_is_served_sandboxed(client: TestClient, seeded: Seeded) -> None:
    resp = client.get(f"/digests/{seeded.digest_id}/html")
    assert resp.status_code == 200
    assert "Rail corridor agreement signed." in resp.text
    assert "sandbox" in resp.headers["content-security-policy"]
    assert "script-src" not in resp.headers["content-security-policy"]


def test_atom_feed_of_a_search(client: TestClient, seeded: Seeded) -> None:
    resp = client.get("/feed.atom", params={"q": "corridor"})
    assert resp.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(resp.content)
    entries = root.findall(f"{ATOM}entry")
    assert {e.findtext(f"{ATOM}title") for e in entries} == {
        "Tehran and Moscow sign a rail corridor agreement",
        "Iran and Russia sign rail corridor agreement",
    }
    assert root.find(f"{ATOM}link[@rel='self']") is not None


def test_json_api(client: TestClient, seeded: Seeded) -> None:
    data = client.get("/api/search", params={"q": "ایران", "theme": "treaty"}).json()
    assert [i["id"] for i in data["items"]] == [seeded.items["fa_treaty"]]
    assert data["total"] == 1
    assert data["total_capped"] is False
    item = client.get(f"/api/items/{seeded.items['rail_copy']}").json()
    assert item["story"] == seeded.stories["rail"]
    assert item["story_role"] == "copy"
    sides = item["explanation"]["sides"]
    assert {h["term"] for h in sides["iran"]} >= {"Iran"}
    assert {h["term"] for h in sides["russia"]} >= {"Russia"}
    story = client.get(f"/api/stories/{seeded.stories['rail']}").json()
    assert story["lead"]["id"] == seeded.items["rail_lead"]
    assert len(story["timeline"]) == 3
    sources = client.get("/api/sources").json()["sources"]
    assert {s["name"]: s["health"] for s in sources}["Steppe Bulletin"] == "failing"
    assert client.get("/api/items/999999").status_code == 404
    irrelevant = client.get("/api/search", params={"relevance": "irrelevant"}).json()
    assert [i["id"] for i in irrelevant["items"]] == [seeded.items["football"]]


def test_item_page_explains_in_the_original_words(client: TestClient, seeded: Seeded) -> None:
    page = client.get(f"/items/{seeded.items['rail_lead']}").text
    why = page.split('<details class="why"')[1]
    # the scoring names the sentence as written, not its folded tokens
    assert '<blockquote class="sentence"' in why
    assert ">Officials from <mark>Iran</mark> <mark>and</mark> <mark>Russia</mark>" in why
    assert "rail <mark>corridor</mark>.</blockquote>" in why
    assert "officials from iran and russia signed" not in why.split("<pre")[0]
    # matched terms sit in explicit quotes around an isolated run: Persian terms read «…», not
    # the mirrored «…« that generated <q> quotes gave inside right-to-left text
    fa = client.get(f"/items/{seeded.items['fa_treaty']}").text
    assert "<q" not in fa.split('<details class="why"')[1]
    assert '<span class="term">“<bdi>' in fa
