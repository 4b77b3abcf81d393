"""Token, CSRF and bind checks of the web app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from monitor.db.engine import Database
from monitor.web.server import WebConfigError, check_bind
from tests.archive.seed import Seeded, seed_archive
from tests.archive.webapp import make_app

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def client(sqlite_db: Database, tmp_path: Path) -> TestClient:
    seed_archive(sqlite_db, tmp_path)
    return TestClient(make_app(sqlite_db, tmp_path, token=TOKEN), base_url="http://127.0.0.1")


def _csrf(page: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    return m.group(1)


@pytest.mark.parametrize(
    ("host", "token", "ok"),
    [
        ("127.0.0.1", None, True),
        ("::1", None, True),
        ("localhost", None, True),
        ("0.0.0.0", None, False),
        ("192.168.1.5", None, False),
        ("0.0.0.0", "tok", False),  # too weak for the network
        ("0.0.0.0", "k7Qv-2xN9pLw_Zr4TbY8sHcE1mUaJfDg", True),
    ],
)
def test_check_bind(host: str, token: str | None, ok: bool) -> None:
    if ok:
        check_bind(host, token)
    else:
        with pytest.raises(WebConfigError, match="MONITOR_WEB_TOKEN"):
            check_bind(host, token)


def test_token_required_everywhere(client: TestClient) -> None:
    resp = client.get("/search?q=iran", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/login?next=")
    assert client.get("/api/search").status_code == 401
    assert client.get("/feed.atom").status_code == 401
    assert client.get("/static/style.css").status_code == 200
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/api/search", headers=headers).status_code == 200
    assert client.get("/feed.atom", headers={"X-Monitor-Token": TOKEN}).status_code == 200
    assert client.get("/api/search", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_login_with_csrf_and_origin(client: TestClient) -> None:
    page = client.get("/login?next=/sources").text
    token = _csrf(page)
    form = {"csrf_token": token, "token": TOKEN, "next": "/sources"}
    # another site's form: wrong Origin
    evil = client.post(
        "/login", data=form, headers={"Origin": "http://evil.example"}, follow_redirects=False
    )
    assert evil.status_code == 403
    # no CSRF token
    missing = client.post(
        "/login",
        data={"token": TOKEN},
        headers={"Origin": "http://127.0.0.1"},
        follow_redirects=False,
    )
    assert missing.status_code == 403
    wrong = client.post(
        "/login", data=form | {"token": "nope"}, headers={"Origin": "http://127.0.0.1"}
    )
    assert "not right" in wrong.text
    ok = client.post(
        "/login", data=form, headers={"Origin": "http://127.0.0.1"}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/sources"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert TOKEN not in cookie
    assert client.get("/sources").status_code == 200
    # open redirects are refused
    page = client.get("/login").text
    bounce = client.post(
        "/login",
        data={"csrf_token": _csrf(page), "token": TOKEN, "next": "//evil.example/x"},
        headers={"Origin": "http://127.0.0.1"},
        follow_redirects=False,
    )
    assert bounce.headers["location"] == "/"


def test_open_archive_needs_no_login(db: Database, seeded: Seeded, tmp_path: Path) -> None:
    client = TestClient(make_app(db, tmp_path), base_url="http://127.0.0.1")
    assert client.get("/sources").status_code == 200
