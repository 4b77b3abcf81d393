"""The river of stories, each reader's read, starred and new state, and the page actions."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from monitor.config import AppConfig, Settings
from monitor.db.engine import Database
from monitor.db.models import CrawlRun, FetchState, Item, Reader, Source
from monitor.newsite import NewsSite
from monitor.paths import shipped_config_dir
from monitor.web import create_app
from tests.archive.seed import Seeded
from tests.archive.webapp import app_config, make_app

ORIGIN = {"Origin": "http://127.0.0.1"}
ALICE = "alice-token-Q8v2LmZx7RtY4pWn"
BOB = "bob-token-Hk3Jd9Fs6Gq1Ve5C"


@pytest.fixture
def client(db: Database, seeded: Seeded, tmp_path: Path) -> TestClient:
    return TestClient(make_app(db, tmp_path), base_url="http://127.0.0.1")


def _csrf(page: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    return m.group(1)


def _entries(page: str) -> list[str]:
    return re.findall(r'<li class="entry([^"]*)" id="([si]\d+)" data-entry', page)  # type: ignore[return-value]


def _post(client: TestClient, path: str, **form: str | list[str]) -> object:
    data = {"csrf_token": _csrf(client.get("/").text), **form}
    return client.post(path, data=data, headers=ORIGIN, follow_redirects=False)


def test_the_river_lists_stories_not_reports(client: TestClient, seeded: Seeded) -> None:
    page = client.get("/").text
    keys = [key for _, key in _entries(page)]
    rail, bushehr = f"s{seeded.stories['rail']}", f"s{seeded.stories['bushehr']}"
    assert keys.count(rail) == 1
    # copies folded into their story; reports outside a story stand alone; newest first
    assert keys[0] == bushehr
    assert f"i{seeded.items['rail_copy']}" not in keys
    assert f"i{seeded.items['fa_treaty']}" in keys
    assert f"i{seeded.items['football']}" not in keys  # irrelevant
    entry = page.split(f'id="{rail}"')[1].split("</li>")[0]
    assert 'Caspian Wire</span> <span class="lang">(en)</span>' in entry
    assert 'Вестник Каспия</span> <span class="lang">(ru)</span>' in entry
    assert "1 copy folded" in entry
    assert "1 related report" in entry
    assert "first reported <time" in entry
    assert 'class="chip figure"' in entry  # Vladimir Putin
    assert "First visit" in page


def test_read_star_and_views_per_reader(client: TestClient, seeded: Seeded) -> None:
    rail = seeded.stories["rail"]
    assert all("unread" in cls for cls, _ in _entries(client.get("/").text))
    resp = _post(client, f"/stories/{rail}/mark", state="read", next="/")
    assert resp.status_code == 303  # type: ignore[attr-defined]
    assert resp.headers["location"] == "/?note=read"  # type: ignore[attr-defined]
    unread = [key for _, key in _entries(client.get("/?view=unread").text)]
    assert f"s{rail}" not in unread
    assert unread
    star = client.post(
        f"/stories/{rail}/mark",
        data={"csrf_token": _csrf(client.get("/").text), "state": "star"},
        headers={**ORIGIN, "Accept": "application/json"},
    )
    assert star.json() == {"ok": True, "note": "Starred.", "state": "star"}
    assert [key for _, key in _entries(client.get("/?view=starred").text)] == [f"s{rail}"]
    # a report that joins later makes the story unread again
    with client.app.state.db.session() as s:  # type: ignore[attr-defined]
        lead = s.get(Item, seeded.items["rail_lead"])
        s.add(
            Item(
                source_id=lead.source_id,
                entry_key="late",
                url="https://news.example.org/en/late",
                canonical_url="https://news.example.org/en/late",
                title="Rail corridor: more details",
                language="en",
                relevant=True,
                story_id=rail,
                story_role="related",
            )
        )
    assert f"s{rail}" in [key for _, key in _entries(client.get("/?view=unread").text)]


def test_opening_a_story_reads_it_and_visits_count_new_stories(
    client: TestClient, seeded: Seeded
) -> None:
    rail = seeded.stories["rail"]
    assert client.get(f"/stories/{rail}").status_code == 200
    assert f"s{rail}" not in [key for _, key in _entries(client.get("/?view=unread").text)]
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as s:  # the last visit ended an hour ago; one report arrived since
        reader = s.scalars(select(Reader)).one()
        reader.last_seen_at = datetime.now(UTC) - timedelta(hours=1)
        s.get(Item, seeded.items["navy_ru"]).first_seen_at = datetime.now(UTC) - timedelta(
            minutes=5
        )
    page = client.get("/").text
    assert "1 story new since your last visit" in page
    new = [key for _, key in _entries(client.get("/?view=new").text)]
    assert new == [f"i{seeded.items['navy_ru']}"]


def _readers_app(db: Database, tmp_path: Path) -> TestClient:
    config = app_config(tmp_path)
    settings = config.settings.model_copy(
        update={
            "web": Settings.model_validate(
                {
                    "web": {
                        "readers": [
                            {"name": "alice", "token_env": "READER_ALICE"},
                            {"name": "bob", "token_env": "READER_BOB"},
                        ]
                    }
                }
            ).web
        }
    )
    app = create_app(
        AppConfig(config_dir=tmp_path, settings=settings),
        db,
        env={"READER_ALICE": ALICE, "READER_BOB": BOB},
    )
    return TestClient(app, base_url="http://127.0.0.1")


def _login(client: TestClient, token: str) -> None:
    form = {"csrf_token": _csrf(client.get("/login").text), "token": token, "next": "/"}
    resp = client.post("/login", data=form, headers=ORIGIN, follow_redirects=False)
    assert resp.status_code == 303


def test_named_readers_keep_their_own_state(db: Database, seeded: Seeded, tmp_path: Path) -> None:
    alice, bob = _readers_app(db, tmp_path), _readers_app(db, tmp_path)
    bob.app = alice.app  # one server, two browsers
    assert alice.get("/", follow_redirects=False).status_code == 303  # tokens guard the app
    _login(alice, ALICE)
    _login(bob, BOB)
    rail = seeded.stories["rail"]
    data = {"csrf_token": _csrf(alice.get("/").text), "state": "star"}
    assert alice.post(f"/stories/{rail}/mark", data=data, headers=ORIGIN).status_code == 200
    assert [k for _, k in _entries(alice.get("/?view=starred").text)] == [f"s{rail}"]
    assert _entries(bob.get("/?view=starred").text) == []
    assert ">alice</span>" in alice.get("/").text
    api = bob.get("/api/search", headers={"Authorization": f"Bearer {BOB}"})
    assert api.status_code == 200
    with pytest.raises(Exception, match="READER_BOB"):
        create_app(
            AppConfig(config_dir=tmp_path, settings=alice.app.state.config.settings),
            db,
            env={"READER_ALICE": ALICE},
        )  # type: ignore[attr-defined]


def test_actions_need_the_csrf_token_and_this_origin(client: TestClient, seeded: Seeded) -> None:
    rail = seeded.stories["rail"]
    no_token = client.post(f"/stories/{rail}/mark", data={"state": "read"}, headers=ORIGIN)
    assert no_token.status_code == 403
    csrf = _csrf(client.get("/").text)
    other = client.post(
        f"/stories/{rail}/mark",
        data={"csrf_token": csrf, "state": "read"},
        headers={"Origin": "http://evil.example"},
    )
    assert other.status_code == 403
    for path in (f"/stories/{rail}/split", "/sources/1/disable", "/sources/1/retry"):
        assert client.post(path, data={"state": "read"}, headers=ORIGIN).status_code == 403


def test_split_a_story_and_move_a_report_out(client: TestClient, seeded: Seeded) -> None:
    rail = seeded.stories["rail"]
    moved = seeded.items["rail_ru"]
    resp = _post(client, f"/stories/{rail}/split", item=[str(moved)])
    assert resp.status_code == 303  # type: ignore[attr-defined]
    new_story = int(re.search(r"/stories/(\d+)", resp.headers["location"]).group(1))  # type: ignore[attr-defined, union-attr]
    assert new_story != rail
    story = client.get(f"/api/stories/{rail}").json()
    assert moved not in [r["id"] for r in story["related"] + story["copies"]]
    assert client.get(f"/api/items/{moved}").json()["story"] == new_story
    # a split that would empty the story is refused with the reason
    refused = _post(client, f"/stories/{new_story}/split", item=[str(moved)])
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "at least one item" in refused.text  # type: ignore[attr-defined]


def test_disable_enable_and_retry_a_source(
    client: TestClient, seeded: Seeded, news_site: NewsSite, tmp_path: Path
) -> None:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    failing = seeded.sources["Steppe Bulletin"]
    resp = _post(client, f"/sources/{failing}/disable")
    assert resp.headers["location"] == "/sources?note=disabled"  # type: ignore[attr-defined]
    with db.session() as s:
        assert s.get(Source, failing).enabled is False
    _post(client, f"/sources/{failing}/enable")
    with db.session() as s:
        assert s.get(Source, failing).enabled is True
        # the site asked to wait: due now, but the wait is kept
        s.get(FetchState, failing).retry_after_until = datetime.now(UTC) + timedelta(hours=1)
    waiting = _post(client, f"/sources/{failing}/retry")
    assert waiting.headers["location"].endswith("note=retry_waiting")  # type: ignore[attr-defined]

    # a source of the local news site: retry starts a crawl of it in a child process
    site = news_site.source_configs(["rss"])[0]
    with db.session() as s:
        src = Source(name=site.name, url=site.url, kind="rss", language=site.language)
        s.add(src)
        s.flush()
        source_id = src.id
        s.add(
            FetchState(
                source_id=source_id,
                consecutive_failures=2,
                next_due_at=datetime(2100, 1, 1, tzinfo=UTC),
            )
        )
    if db.dialect != "sqlite":
        return  # the child crawls the configured archive: the SQLite file of this test
    (tmp_path / "monitor.yaml").write_text(
        f"database_url: sqlite:///{tmp_path / 'archive.db'}\ndata_dir: {tmp_path}\n"
        f"topic: {shipped_config_dir() / 'topics' / 'iran-russia.yaml'}\n"
        "crawl: {contact_url: https://example.org/test, retries: 0, allow_networks: [127.0.0.0/8]}\n",
        encoding="utf-8",
    )
    started = _post(client, f"/sources/{source_id}/retry")
    assert started.headers["location"].endswith("note=retry_started")  # type: ignore[attr-defined]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with db.session() as s:
            runs = s.scalars(select(CrawlRun).where(CrawlRun.status != "running")).all()
            count = s.query(Item).filter(Item.source_id == source_id).count()
        if runs and count:
            break
        time.sleep(0.5)
    assert count > 0
    assert "?note=retry_started" in started.headers["location"]  # type: ignore[attr-defined]
    page = client.get("/sources?note=retry_started").text
    assert "a crawl of it has started" in page
