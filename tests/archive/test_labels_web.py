"""Reviewer labels from the item and story pages: stored with the reader's name, applied at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from monitor.db.engine import Database
from monitor.db.labels import list_labels, pair_labels, relevance_labels
from monitor.db.models import Item
from tests.archive.seed import Seeded
from tests.archive.test_river import ALICE, _login, _readers_app
from tests.archive.webapp import make_app

ORIGIN = {"Origin": "http://127.0.0.1"}


@pytest.fixture
def client(db: Database, seeded: Seeded, tmp_path: Path) -> TestClient:
    return TestClient(make_app(db, tmp_path), base_url="http://127.0.0.1")


def _csrf(page: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    return m.group(1)


def _post(client: TestClient, path: str, **form: str) -> object:
    data = {"csrf_token": _csrf(client.get("/").text), **form}
    return client.post(path, data=data, headers=ORIGIN, follow_redirects=False)


def test_relevance_buttons_store_apply_and_show_the_label(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    item = seeded.items["football"]  # the rules call it not relevant
    page = client.get(f"/items/{item}").text
    assert "No label yet; the topic's rules call it not relevant." in page
    assert f'action="/items/{item}/label"' in page
    resp = _post(client, f"/items/{item}/label", label="relevant", next=f"/items/{item}")
    assert resp.status_code == 303  # type: ignore[attr-defined]
    assert resp.headers["location"] == f"/items/{item}?note=relevant"  # type: ignore[attr-defined]
    page = client.get(f"/items/{item}?note=relevant").text
    assert "Labelled relevant." in page
    assert "Labelled relevant by default" in page
    assert re.search(r'aria-pressed="true">Relevant<', page)
    with db.session() as s:
        assert s.get(Item, item).relevant is True  # type: ignore[union-attr]
        (label,) = relevance_labels(s).values()
        assert (label.item_id, label.kind, label.reviewer) == (item, "relevant", "default")
    _post(client, f"/items/{item}/label", label="not_relevant")
    with db.session() as s:
        assert s.get(Item, item).relevant is False  # type: ignore[union-attr]
        assert relevance_labels(s)[item].kind == "not_relevant"
        assert len(list_labels(s)) == 2  # the history stays


def test_same_story_from_the_item_page_and_not_the_same_from_the_story_page(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    lead, other = seeded.items["rail_lead"], seeded.items["navy_ru"]
    resp = _post(client, f"/items/{lead}/same-story", other=f"#{other}", label="same_story")
    assert resp.status_code == 303  # type: ignore[attr-defined]
    with db.session() as s:
        story = s.get(Item, lead).story_id  # type: ignore[union-attr]
        assert s.get(Item, other).story_id == story  # type: ignore[union-attr]
    item_page = client.get(f"/items/{lead}").text
    assert f'<a href="/items/{other}">report {other}</a>: the same story' in item_page
    story_page = client.get(f"/stories/{story}").text
    assert f'form="not-same" name="other" value="{other}"' in story_page
    assert "same story (default)" in story_page
    data = {"csrf_token": _csrf(story_page), "label": "not_same_story", "other": str(other)}
    resp = client.post(f"/items/{lead}/same-story", data=data, headers=ORIGIN)
    assert resp.status_code == 200
    with db.session() as s:
        assert s.get(Item, other).story_id != story  # type: ignore[union-attr]
        pair = pair_labels(s)[tuple(sorted((lead, other)))]  # type: ignore[index]
        assert (pair.kind, pair.reviewer) == ("not_same_story", "default")


@pytest.mark.parametrize(
    ("path", "form", "status"),
    [
        ("/items/{a}/label", {"label": "maybe"}, 400),
        ("/items/{a}/same-story", {"label": "same_story", "other": "abc"}, 400),
        ("/items/{a}/same-story", {"label": "same_story", "other": "{a}"}, 400),
        ("/items/{a}/same-story", {"label": "same_story", "other": "999999"}, 400),
        ("/items/999999/label", {"label": "relevant"}, 400),
    ],
)
def test_bad_labels_are_refused_and_store_nothing(
    client: TestClient, db: Database, seeded: Seeded, path: str, form: dict[str, str], status: int
) -> None:
    a = str(seeded.items["rail_lead"])
    resp = _post(
        client, path.replace("{a}", a), **{k: v.replace("{a}", a) for k, v in form.items()}
    )
    assert resp.status_code == status  # type: ignore[attr-defined]
    with db.session() as s:
        assert list_labels(s) == []


def test_labels_need_the_csrf_token_and_this_origin(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    item = seeded.items["football"]
    form = {"label": "relevant"}
    assert client.post(f"/items/{item}/label", data=form, headers=ORIGIN).status_code == 403
    data = {"csrf_token": _csrf(client.get("/").text), **form}
    evil = {"Origin": "http://evil.example"}
    assert client.post(f"/items/{item}/label", data=data, headers=evil).status_code == 403
    with db.session() as s:
        assert list_labels(s) == []


def test_a_named_reader_is_the_reviewer(db: Database, seeded: Seeded, tmp_path: Path) -> None:
    alice = _readers_app(db, tmp_path)
    item = seeded.items["rail_ru"]
    assert alice.post(f"/items/{item}/label", data={"label": "relevant"}).status_code == 401
    _login(alice, ALICE)
    data = {"csrf_token": _csrf(alice.get("/").text), "label": "not_relevant"}
    assert alice.post(f"/items/{item}/label", data=data, headers=ORIGIN).status_code == 200
    assert "Labelled not relevant by alice" in alice.get(f"/items/{item}").text
    with db.session() as s:
        assert relevance_labels(s)[item].reviewer == "alice"
