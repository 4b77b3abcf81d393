"""`monitor demo` — the README's main job — works offline in an empty directory, in its own
folder whatever the environment names, and opens the web app on its archive."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from monitor.db.engine import Database

pytestmark = pytest.mark.slow


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def _demo(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "demo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_demo_writes_page_and_email_and_says_how_to_browse_it(tmp_path: Path) -> None:
    proc = _demo(tmp_path, _env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    match = re.search(r"crawled (\d+) sources: (\d+) new items, (\d+) relevant", out)
    assert match, out
    sources, new, relevant = map(int, match.groups())
    assert sources >= 6
    assert new > relevant > 0

    page = Path(re.search(r"digest page: (\S+)", out).group(1))  # type: ignore[union-attr]
    eml = Path(re.search(r"digest email: (\S+)", out).group(1))  # type: ignore[union-attr]
    assert page.is_file()
    assert eml.is_file()
    assert page.resolve().is_relative_to(tmp_path.resolve() / "outbox")
    assert len(list((tmp_path / "outbox").glob("*.html"))) == 1  # one page, not two copies

    html = page.read_text(encoding="utf-8")
    assert 'dir="rtl"' in html  # Persian stories read right to left
    assert "<script" not in html.lower()

    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]  # type: ignore[attr-defined]
    assert parts == ["text/plain", "text/html"]
    assert "\n" not in str(msg["Subject"])
    archive = tmp_path / "data" / "demo" / "archive.db"
    assert archive.is_file()

    # the digest is recorded, so the web app's Digests page lists it
    with sqlite3.connect(archive) as conn:
        rows = conn.execute("SELECT status, html_path FROM digests").fetchall()
    assert rows == [("preview", str(page.resolve()))]
    assert "browse it:   monitor --config data/demo/config serve" in out

    # a second run in the same place works just as well (fresh site, fresh archive)
    again = _demo(tmp_path, _env())
    assert again.returncode == 0, again.stderr[-3000:]
    assert ", 0 errors" in again.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as resp:
        body = resp.read().decode("utf-8")
    return json.loads(body) if "/api/" in url else body


def test_demo_cannot_write_into_an_archive_named_by_the_environment(tmp_path: Path) -> None:
    prod = tmp_path / "production"
    prod_url = f"sqlite:///{prod / 'archive.db'}"
    Database.open(prod_url).close()  # an existing archive, empty
    before = (prod / "archive.db").read_bytes()
    broken = tmp_path / "broken-config"
    broken.mkdir()
    (broken / "monitor.yaml").write_text("crawl: [not, a, mapping]\n", encoding="utf-8")
    env = _env(
        MONITOR_DATABASE_URL=prod_url,
        MONITOR_DATA_DIR=str(prod),
        MONITOR_OUTBOX_DIR=str(prod / "outbox"),
        MONITOR_CONFIG_DIR=str(broken),
    )
    port = _free_port()
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "demo", "--serve", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "serving the demo archive on" in line:
                break
        assert any("serving the demo archive on" in x for x in lines), "".join(lines)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # uvicorn starts right after the line
            try:
                home = _get(base + "/")
                break
            except OSError:
                time.sleep(0.1)
        assert len(re.findall(r'id="s\d+" data-entry', home)) >= 10  # the river: stories
        assert "preview" in _get(base + "/digests")

        # an entity named in English finds its reports in all three languages, and so does
        # its Persian name; switched off, only the English spelling is searched
        for query in ("Bushehr", "بوشهر"):
            found = _get(base + "/api/search?" + urllib.parse.urlencode({"q": query}))
            assert {i["language"] for i in found["items"]} == {"en", "ru", "fa"}, query
            assert found["expanded"][0]["name"] == "Bushehr nuclear power plant"
        only = _get(base + "/api/search?q=Bushehr&xl=0")
        assert {i["language"] for i in only["items"]} == {"en"}
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    text = "".join(lines)
    assert "ignored (the demo keeps to its own folder): MONITOR_DATABASE_URL" in text
    # the archive the environment named is untouched; the demo used its own folder
    assert (prod / "archive.db").read_bytes() == before
    assert not (prod / "outbox").exists()
    assert (work / "data" / "demo" / "archive.db").is_file()
    assert list((work / "outbox").glob("*.eml"))
