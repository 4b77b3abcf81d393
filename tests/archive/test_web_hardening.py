"""Trust boundaries of the web app: host names (DNS rebinding), token strength, login attempts,
sessions that expire and end at logout."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from monitor.config import AppConfig, Settings
from monitor.db.engine import Database
from monitor.web import create_app
from monitor.web.server import WebConfigError, check_bind
from tests.archive.seed import seed_archive

TOKEN = "k7Qv-2xN9pLw_Zr4TbY8sHcE1mUaJfDg"
ORIGIN = {"Origin": "http://127.0.0.1"}


def _app(db: Database, tmp_path: Path, **web: Any) -> Any:
    raw: dict[str, Any] = {"data_dir": str(tmp_path), "outbox_dir": str(tmp_path / "outbox")}
    if web:
        raw["web"] = web
    return create_app(AppConfig(config_dir=tmp_path, settings=Settings.model_validate(raw)), db)


@pytest.fixture
def archive(sqlite_db: Database, tmp_path: Path) -> Database:
    seed_archive(sqlite_db, tmp_path)
    return sqlite_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------------------ host names


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:8750", 200),
        ("localhost:8750", 200),
        ("[::1]:8750", 200),
        ("LOCALHOST", 200),
        ("rebind.attacker.example:8750", 400),
        ("rebind.attacker.example", 400),
        ("127.0.0.1.nip.io", 400),
        ("", 400),
    ],
)
def test_token_less_archive_answers_only_loopback_host_names(
    archive: Database, tmp_path: Path, host: str, status: int
) -> None:
    client = TestClient(_app(archive, tmp_path), base_url="http://127.0.0.1")
    resp = client.get("/api/search?q=iran", headers={"Host": host})
    assert resp.status_code == status
    if status == 400:
        assert "web.allowed_hosts" in resp.text
        assert "items" not in resp.text


def test_allowed_hosts_are_configured(archive: Database, tmp_path: Path) -> None:
    app = _app(archive, tmp_path, allowed_hosts=["Monitor.Example.org."])
    client = TestClient(app, base_url="http://127.0.0.1")
    assert client.get("/sources", headers={"Host": "monitor.example.org"}).status_code == 200
    assert client.get("/sources", headers={"Host": "other.example.org"}).status_code == 400


def test_a_dns_rebinding_page_cannot_read_a_real_server(archive: Database, tmp_path: Path) -> None:
    """A real uvicorn server on 127.0.0.1: the browser would send the attacker's host name."""
    import threading

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(_app(archive, tmp_path), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)

        def get(host: str) -> tuple[int, bytes]:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(
                    f"GET /api/search?q=iran HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
                )
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
            return int(data.split(b" ", 2)[1]), data

        evil_status, evil_body = get(f"attacker.example:{port}")
        assert evil_status == 400
        assert b'"items"' not in evil_body
        ok_status, ok_body = get(f"127.0.0.1:{port}")
        assert ok_status == 200
        assert b'"items"' in ok_body
    finally:
        server.should_exit = True
        thread.join(10)


# ------------------------------------------------------------------------------ token strength


@pytest.mark.parametrize(
    "weak",
    [
        " ",
        "a",
        "password",
        "correcthorse",
        "a" * 40,
        "12345678901234567890",
        "abababababababababababab",
    ],
)
def test_weak_tokens_are_refused_beyond_loopback(weak: str) -> None:
    with pytest.raises(WebConfigError, match="too weak") as err:
        check_bind("0.0.0.0", weak)
    assert "secrets.token_urlsafe" in str(err.value)  # and how to make a good one
    check_bind("127.0.0.1", weak)  # loopback: the user's own business


@pytest.mark.parametrize(
    "strong",
    [
        "4-Lzx48WMraqfdyPXY6J83xmYf64sP4G3ZIHn2oFX3g",  # secrets.token_urlsafe(32)
        "FOfurjyIGICvTPHt4DbVgA",  # secrets.token_urlsafe(16)
        "1359e80a66c0300f58180056b3d42969",  # secrets.token_hex(16)
        "correct horse battery staple orbit",  # a long passphrase
        TOKEN,
    ],
)
def test_strong_tokens_are_accepted(strong: str) -> None:
    check_bind("0.0.0.0", strong)


def test_random_tokens_always_pass() -> None:
    import secrets

    for _ in range(2000):
        check_bind("0.0.0.0", secrets.token_urlsafe(16))
        check_bind("0.0.0.0", secrets.token_hex(16))


def test_serve_refuses_a_weak_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {"MONITOR_WEB_TOKEN": "a", "MONITOR_DATA_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "too weak" in proc.stderr
    assert "token_urlsafe" in proc.stderr


# ------------------------------------------------------------------------------ login and sessions


def _csrf(page: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    return m.group(1)


def _login(client: TestClient, token: str) -> Any:
    form = {"csrf_token": _csrf(client.get("/login").text), "token": token, "next": "/sources"}
    return client.post("/login", data=form, headers=ORIGIN, follow_redirects=False)


def test_login_attempts_are_limited(archive: Database, tmp_path: Path) -> None:
    app = _app(archive, tmp_path, token=TOKEN, login_attempts=3, login_lockout_minutes=10)
    clock = Clock()
    app.state.auth.limiter.clock = clock
    client = TestClient(app, base_url="http://127.0.0.1")
    for _ in range(3):
        assert "not right" in _login(client, "guess").text
    refused = _login(client, TOKEN)  # even the right token: wait first
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 500
    assert "Too many" in refused.text
    # API clients guessing with a header are held back the same way
    api = client.get("/api/search", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status_code == 429
    clock.now += 601
    assert _login(client, TOKEN).status_code == 303
    assert client.get("/sources").status_code == 200


def test_header_guesses_count_as_failed_logins(archive: Database, tmp_path: Path) -> None:
    app = _app(archive, tmp_path, token=TOKEN, login_attempts=2)
    client = TestClient(app, base_url="http://127.0.0.1")
    for guess in ("one", "two"):
        assert client.get("/api/search", headers={"X-Monitor-Token": guess}).status_code == 401
    assert client.get("/api/search", headers={"X-Monitor-Token": TOKEN}).status_code == 429


def test_sessions_expire(archive: Database, tmp_path: Path) -> None:
    app = _app(archive, tmp_path, token=TOKEN, session_hours=2)
    clock = Clock()
    app.state.auth.sessions.clock = clock
    client = TestClient(app, base_url="http://127.0.0.1")
    ok = _login(client, TOKEN)
    assert ok.status_code == 303
    assert "Max-Age=7200" in ok.headers["set-cookie"]
    assert client.get("/sources", follow_redirects=False).status_code == 200
    clock.now += 2 * 3600 - 5
    assert client.get("/sources", follow_redirects=False).status_code == 200
    clock.now += 10
    expired = client.get("/sources", follow_redirects=False)
    assert expired.status_code == 303
    assert expired.headers["location"].startswith("/login")


def test_logout_ends_the_session(archive: Database, tmp_path: Path) -> None:
    client = TestClient(_app(archive, tmp_path, token=TOKEN), base_url="http://127.0.0.1")
    assert _login(client, TOKEN).status_code == 303
    cookie = client.cookies.get("monitor_auth")
    assert cookie
    assert TOKEN not in cookie
    page = client.get("/sources").text
    out = client.post(
        "/logout", data={"csrf_token": _csrf(page)}, headers=ORIGIN, follow_redirects=False
    )
    assert out.status_code == 303
    # the old cookie, replayed (a copy kept by an attacker or another tab), opens nothing
    replay = TestClient(client.app, base_url="http://127.0.0.1", cookies={"monitor_auth": cookie})
    resp = replay.get("/sources", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/login")
    # two logins are two sessions: a new one works, the old one stays dead
    assert _login(client, TOKEN).status_code == 303
    assert client.get("/sources", follow_redirects=False).status_code == 200
    assert client.cookies.get("monitor_auth") != cookie
