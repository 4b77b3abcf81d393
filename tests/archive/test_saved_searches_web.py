"""Saved searches in the web app: "save this search", the list page, and the private Atom feed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from monitor.db import saved_searches as q
from monitor.db.engine import Database
from monitor.digest.subscriptions import subscription_recipients
from monitor.search.filters import SearchFilters
from monitor.web.saved import saved_query
from tests.archive.seed import BUSHEHR, SAVED_SEARCH, Seeded, seed_archive
from tests.archive.webapp import make_app

ORIGIN = {"Origin": "http://127.0.0.1"}
ATOM = "{http://www.w3.org/2005/Atom}"
TOKEN = "k7Qv-2xN9pLw_Zr4TbY8sHcE1mUaJfDg"


@pytest.fixture
def client(db: Database, seeded: Seeded, tmp_path: Path) -> TestClient:
    return TestClient(make_app(db, tmp_path), base_url="http://127.0.0.1")


def _csrf(page: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    return m.group(1)


def _save(client: TestClient, **form: str | list[str]) -> object:
    data = {"csrf_token": _csrf(client.get("/search?q=rail").text), **form}
    return client.post("/searches", data=data, headers=ORIGIN, follow_redirects=False)


def _feed_path(client: TestClient, name: str) -> str:
    page = client.get("/searches").text
    block = page.split(f'<h2 dir="auto">{name}</h2>', 1)[1].split("</li>", 1)[0]
    m = re.search(r'href="(/searches/feed/[A-Za-z0-9_-]+\.atom)"', block)
    assert m, block
    return m.group(1)


def _entries(body: bytes) -> list[tuple[str, str]]:
    root = ET.fromstring(body)  # well-formed XML, or this raises
    assert root.tag == f"{ATOM}feed"
    return [
        (e.findtext(f"{ATOM}id") or "", e.findtext(f"{ATOM}title") or "")
        for e in root.iter(f"{ATOM}entry")
    ]


def test_the_search_page_offers_to_save_what_it_shows(client: TestClient) -> None:
    page = client.get("/search?q=Bushehr&language=fa&theme=nuclear").text
    form = page.split('<form class="save-search"', 1)[1].split("</form>", 1)[0]
    assert 'action="/searches"' in form
    assert 'name="csrf_token"' in form
    for hidden in ('name="q" value="Bushehr"', 'name="language" value="fa"', 'value="nuclear"'):
        assert hidden in form
    assert "save-search" not in client.get("/search").text  # nothing to save in a bare browse


def test_save_list_feed_and_remove(client: TestClient, db: Database, seeded: Seeded) -> None:
    resp = _save(client, name="Bushehr watch", q="Bushehr", mode="none")
    assert resp.status_code == 303  # type: ignore[attr-defined]
    assert resp.headers["location"] == "/searches?note=search_saved"  # type: ignore[attr-defined]
    listing = client.get("/searches?note=search_saved").text
    assert "Search saved." in listing
    assert "Bushehr watch" in listing
    assert "none (feed only)" in listing
    feed = client.get(_feed_path(client, "Bushehr watch"))
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    entries = _entries(feed.content)
    ids = {int(i.rsplit("/", 1)[1]) for i, _ in entries}
    # the entity typed in English finds its reports in all three languages, as the page does
    assert {seeded.items[k] for k in ("bushehr_en", "bushehr_ru", "bushehr_fa")} <= ids
    titles = " ".join(t for _, t in entries)
    assert re.search("[\u0600-\u06ff]", titles)
    assert re.search("[\u0400-\u04ff]", titles)
    with db.session() as s:
        row = q.get_search(s, "Bushehr watch")
        assert row is not None
        assert (row.query, row.mode, row.created_by) == ("Bushehr", "none", "default")
        search_id = row.id
    data = {"csrf_token": _csrf(client.get("/searches").text)}
    resp = client.post(
        f"/searches/{search_id}/remove", data=data, headers=ORIGIN, follow_redirects=False
    )
    assert resp.status_code == 303
    assert client.get(feed.url.path).status_code == 404  # its address no longer works
    assert "Bushehr watch" not in client.get("/searches").text


def test_feed_escapes_hostile_titles(client: TestClient, seeded: Seeded) -> None:
    _save(client, name="<b>all</b> & more", q="script OR alert OR Bushehr", mode="none")
    listing = client.get("/searches").text
    assert "<b>all</b>" not in listing
    assert "&lt;b&gt;all&lt;/b&gt; &amp; more" in listing
    path = re.search(r'href="(/searches/feed/[^"]+\.atom)"', listing)
    assert path
    body = client.get(path.group(1)).content
    root = ET.fromstring(body)
    assert root.findtext(f"{ATOM}title", "").endswith(": <b>all</b> & more")
    assert b"<script" not in body
    assert b"<b>all" not in body


def test_a_subscription_becomes_a_recipient_and_can_end(client: TestClient, db: Database) -> None:
    resp = _save(
        client,
        name="rail",
        q="rail",
        theme="treaty",
        mode="digest",
        email="desk@example.org",
        schedule="daily 07:30",
        timezone="Europe/Berlin",
    )
    assert resp.status_code == 303  # type: ignore[attr-defined]
    (rcpt,) = subscription_recipients(db)
    assert (rcpt.name, rcpt.address, rcpt.query) == ("search:rail", "desk@example.org", "rail")
    assert rcpt.filters.themes == ["treaty"]
    assert rcpt.schedule == "daily 07:30"
    listing = client.get("/searches").text
    assert "digest to" in listing
    assert "daily 07:30 (Europe/Berlin)" in listing
    with db.session() as s:
        row = q.get_search(s, "rail")
        assert row is not None
        search_id, token = row.id, row.feed_token
    # the same name again replaces it and keeps the feed address
    resp = _save(client, name="rail", q="railway", mode="immediate", email="ops@example.org")
    assert resp.headers["location"] == "/searches?note=search_replaced"  # type: ignore[attr-defined]
    (rcpt,) = subscription_recipients(db)
    assert rcpt.alerts.matches
    assert rcpt.query == "railway"
    data = {"csrf_token": _csrf(listing)}
    client.post(f"/searches/{search_id}/unsubscribe", data=data, headers=ORIGIN)
    assert subscription_recipients(db) == []
    with db.session() as s:
        row = q.get_search(s, "rail")
        assert row is not None
        assert row.mode == "none"
        assert row.feed_token == token


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "q": "rail"}, "needs a name"),
        ({"name": "x", "q": ""}, "needs a query or a filter"),
        ({"name": "x", "q": '"unclosed'}, "position"),
        ({"name": "x", "q": "rail", "mode": "digest"}, "needs an email address"),
        ({"name": "x", "q": "rail", "mode": "digest", "email": "nope"}, "subscription"),
        ({"name": "x", "q": "rail", "mode": "digest", "email": "a@b.org", "schedule": "never"}, ""),
        ({"name": "x", "q": "rail", "mode": "weekly"}, "mode must be"),
        ({"name": "x", "q": "rail " * 99, "source": "Caspian Wire"}, "long"),  # with its filter
    ],
)
def test_bad_forms_are_refused_with_the_reason(
    client: TestClient, db: Database, form: dict[str, str], message: str
) -> None:
    resp = _save(client, **form)
    assert resp.status_code == 400, resp.text  # type: ignore[attr-defined]
    assert message in resp.text  # type: ignore[attr-defined]
    with db.session() as s:
        assert [r.name for r in q.list_searches(s)] == [SAVED_SEARCH]


def test_saving_needs_the_csrf_token_and_this_origin(client: TestClient, db: Database) -> None:
    form = {"name": "x", "q": "rail"}
    assert client.post("/searches", data=form, headers=ORIGIN).status_code == 403
    data = {"csrf_token": _csrf(client.get("/search?q=rail").text), **form}
    evil = {"Origin": "http://evil.example"}
    assert client.post("/searches", data=data, headers=evil).status_code == 403
    with db.session() as s:
        assert [r.name for r in q.list_searches(s)] == [SAVED_SEARCH]


def test_with_a_token_only_the_feed_is_open_and_only_by_its_own_token(
    sqlite_db: Database, tmp_path: Path
) -> None:
    seed_archive(sqlite_db, tmp_path)
    with sqlite_db.session() as s:
        token = q.save_search(
            s, name="treaty", query="", filters={"themes": ["treaty"]}, created_by="cli"
        ).feed_token
    client = TestClient(make_app(sqlite_db, tmp_path, token=TOKEN), base_url="http://127.0.0.1")
    assert client.get("/searches", follow_redirects=False).status_code == 303  # to the login
    assert client.post("/searches", data={"name": "x"}).status_code == 401
    feed = client.get(f"/searches/feed/{token}.atom")
    assert feed.status_code == 200
    assert len(_entries(feed.content)) > 0
    assert client.get(f"/searches/feed/{token}0.atom").status_code == 404
    assert client.get("/searches/feed/").status_code == 404
    assert client.get("/feed.atom").status_code == 401  # the archive's own feeds stay guarded


def test_saved_query_writes_page_filters_as_field_operators() -> None:
    f = SearchFilters(
        query="gas OR oil",
        sources=("Caspian Wire", 'Bad "quote'),
        figures=("Vladimir Putin",),
        entities=(BUSHEHR,),
    )
    assert saved_query(f) == (
        '(gas OR oil) (source:"Caspian Wire" OR source:"Bad  quote") '
        f'figure:"Vladimir Putin" entity:"{BUSHEHR}"'
    )
    assert saved_query(SearchFilters(query="rail")) == "rail"
    assert saved_query(SearchFilters(figures=("Sergei Lavrov",))) == 'figure:"Sergei Lavrov"'
