"""End to end: a hostile feed cannot make a crawl, ``sources add`` or ``import-opml`` reach a
service on the machine.

The hostile site runs on 127.0.0.2, the one network allowed (``crawl.allow_networks:
[127.0.0.2/32]``). A canary listens on 127.0.0.1 and [::1], on the same port: every link, redirect
and meta refresh of the hostile site points at it, in every spelling of loopback, and host names
that resolve to it (``NETGUARD_TEST_HOSTS``, answered by ``tests/tripwire``) lead there too. The
canary must see no connection; the tripwire (tests/conftest.py) fails the test if anything leaves
loopback (169.254.169.254, 10.0.0.1).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.config import SourceConfig
from monitor.db.engine import Database
from monitor.db.models import Item
from tests.collect.support import by_name, crawl_json, run_monitor, write_config

pytestmark = pytest.mark.slow

SITE = "127.0.0.2"
ALLOW = {"allow_networks": [f"{SITE}/32"]}
SECRET = "CANARY-SECRET internal service answer"
# every way of writing the canary's host (127.0.0.1 or ::1) in a URL
SPELLINGS = [
    "127.0.0.1",
    "localhost",
    "localhost.",
    "127.1",
    "127.0.1",
    "2130706433",
    "017700000001",
    "0177.0.0.1",
    "0x7f000001",
    "0x7f.0.0.1",
    "[::ffff:127.0.0.1]",
    "[::1]",
    "canary.test",  # resolves to 127.0.0.1
]
TEST_HOSTS = {
    "canary.test": [["127.0.0.1"]],
    "mixed.test": [["127.0.0.1", SITE]],  # one answer, the canary's address first
    "rebind.test": [[SITE], ["127.0.0.1"]],  # allowed when checked, the canary afterwards
}


@dataclass
class Canary:
    """Listens on 127.0.0.1 and ::1 at one port and counts the connections it accepts."""

    port: int = 0
    connections: list[str] = field(default_factory=list)
    sockets: list[socket.socket] = field(default_factory=list)

    def start(self) -> Canary:
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, self.port))
            self.port = sock.getsockname()[1]
            sock.listen(16)
            self.sockets.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()
        return self

    def _serve(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, peer = sock.accept()
            except OSError:
                return
            self.connections.append(str(peer))
            body = f"<html><body><article><p>{SECRET}</p></article></body></html>".encode()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + body)

    def stop(self) -> None:
        for sock in self.sockets:
            sock.close()


def _rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>Short.</description><pubDate>Mon, 01 Dec 2025 10:00:00 +0000</pubDate></item>"
        for title, link in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Hostile</title>'
        f"<link>http://{SITE}/</link><language>en</language>{entries}</channel></rss>"
    ).encode()


def hostile_links(port: int) -> dict[str, str]:
    """What the hostile feed links to, by title: the canary directly, through redirects of every
    kind, through a redirect chain and through a meta refresh."""
    site = f"http://{SITE}:{port}"
    links = {f"direct {host}": f"http://{host}:{port}/direct" for host in SPELLINGS}
    for code in (301, 302, 303, 307, 308):
        links[f"redirect {code}"] = f"{site}/redirect/{code}/{SPELLINGS[code % len(SPELLINGS)]}"
    links["redirect chain"] = f"{site}/chain"
    links["meta refresh"] = f"{site}/refresh"
    links["fine article"] = f"{site}/article"
    return links


def hostile_site(port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path
            if path == "/robots.txt":
                self._send(200, b"User-agent: *\nAllow: /\n", Content_Type="text/plain")
            elif path in ("/feed.xml", "/feed2.xml"):
                links = hostile_links(port) if path == "/feed.xml" else {}
                if path == "/feed2.xml":
                    links = {"reached through mixed.test": f"http://{SITE}:{port}/article"}
                body = _rss(sorted(links.items()))
                self._send(200, body, Content_Type="application/rss+xml")
            elif path.startswith("/redirect/"):
                _, _, code, host = path.split("/", 3)
                self._send(int(code), Location=f"http://{host}:{port}/redirected")
            elif path == "/to-file":
                self._send(302, Location="file:///etc/passwd")
            elif path == "/chain":
                self._send(302, Location=f"/redirect/307/{SPELLINGS[1]}")
            elif path == "/refresh":
                target = f"http://localhost:{port}/refreshed"
                body = f'<html><head><meta http-equiv="refresh" content="0;url={target}"></head></html>'
                self._send(200, body.encode(), Content_Type="text/html")
            elif path == "/page":  # a page announcing a feed on the canary
                link = f'<link rel="alternate" type="application/rss+xml" href="http://127.1:{port}/feed.xml">'
                body = f"<html><head><title>Page</title>{link}</head><body></body></html>"
                self._send(200, body.encode(), Content_Type="text/html")
            elif path == "/article":
                text = "A fine article from an allowed site. " * 30
                body = f"<html><body><article><h1>Fine</h1><p>{text}</p></article></body></html>"
                self._send(200, body.encode(), Content_Type="text/html")
            else:
                self._send(404)

    server = ThreadingHTTPServer((SITE, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def canary(monkeypatch: pytest.MonkeyPatch) -> Iterator[Canary]:
    monkeypatch.setenv("NETGUARD_TEST_HOSTS", json.dumps(TEST_HOSTS))
    canary = Canary().start()
    server = hostile_site(canary.port)
    yield canary
    server.shutdown()
    server.server_close()
    canary.stop()


def _source(name: str, url: str) -> SourceConfig:
    return SourceConfig(name=name, url=url, kind="rss", language="en", fetch_fulltext=True)


def test_a_crawl_never_reaches_a_refused_address(canary: Canary, tmp_path: Path) -> None:
    port = canary.port
    sources = [
        _source("hostile", f"http://{SITE}:{port}/feed.xml"),
        _source("canary by address", f"http://127.0.0.1:{port}/feed.xml"),
        _source("canary by name", f"http://canary.test:{port}/feed.xml"),
        _source("canary by redirect", f"http://{SITE}:{port}/redirect/302/127.1"),
        _source("mixed answer", f"http://mixed.test:{port}/feed2.xml"),
        _source("metadata", "http://169.254.169.254/latest/meta-data/"),
        _source("intranet", f"http://10.0.0.1:{port}/feed.xml"),
        _source("redirect to a file", f"http://{SITE}:{port}/to-file"),
    ]
    cdir = write_config(tmp_path, sources, **ALLOW)
    summary = by_name(crawl_json(cdir, expect_rc=0))

    assert canary.connections == [], "the canary was reached"

    # the hostile feed itself is fine; each of its links to the canary is refused and recorded
    hostile = summary["hostile"]
    refused = [m for m in hostile["messages"] if "refused" in m]
    links = hostile_links(port)
    assert len(refused) == len(links) - 1, hostile["messages"]
    assert all("crawl.allow_networks" in m for m in refused)
    # its entries are stored with their feed text; the source says its pages were not read
    assert hostile["status"] == "partial", hostile
    assert hostile["messages"][0] == f"partial: {len(refused)} article pages failed"
    assert not [m for m in hostile["messages"][1:] if "refused" not in m], hostile["messages"]
    for name in (
        "canary by address",
        "canary by name",
        "canary by redirect",
        "metadata",
        "intranet",
    ):
        assert summary[name]["status"] == "failed", summary[name]
        assert summary[name]["messages"][0].startswith("fetch: refused http://"), summary[name]
    assert "canary.test resolves to 127.0.0.1 is a loopback address" in " ".join(
        summary["canary by name"]["messages"]
    )
    assert "169.254.169.254 is a link-local address" in summary["metadata"]["messages"][0]
    assert "file" in summary["redirect to a file"]["messages"][0], summary["redirect to a file"]
    # a name with an allowed and a refused address: connected to the allowed one only
    assert summary["mixed answer"]["status"] == "ok", summary["mixed answer"]

    db = Database.open(f"sqlite:///{tmp_path / 'archive.db'}", migrate=False)
    try:
        with db.session() as s:
            texts = [f"{i.title} {i.text}" for i in s.scalars(select(Item))]
    finally:
        db.close()
    assert texts
    assert not [t for t in texts if "CANARY" in t]
    assert any("Fine" in t or "fine article" in t.lower() for t in texts)

    status = run_monitor(cdir, "sources", "status", "--json")
    assert status.returncode == 0, status.stderr
    assert "refused" in status.stdout
    assert canary.connections == []


def test_sources_add_refuses_such_urls_in_one_line(canary: Canary, tmp_path: Path) -> None:
    port = canary.port
    cdir = write_config(tmp_path, [], **ALLOW)
    cases = {
        f"http://2130706433:{port}/feed.xml": "2130706433 = 127.0.0.1 is a loopback address",
        f"http://canary.test:{port}/feed.xml": "canary.test resolves to 127.0.0.1",
        "http://169.254.169.254/feed.xml": "link-local",
        # the page is allowed, the feed it announces is not
        f"http://{SITE}:{port}/page": f"refused http://127.1:{port}/feed.xml: 127.1 = 127.0.0.1",
        # checked allowed, then rebound to the canary when fetched: the fetch's own check refuses
        f"http://rebind.test:{port}/feed.xml": "rebind.test resolves to 127.0.0.1",
    }
    for url, reason in cases.items():
        proc = run_monitor(cdir, "sources", "add", url, "--name", "x")
        assert proc.returncode != 0, (url, proc.stdout)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, (url, lines)
        assert "refused" in lines[0], (url, lines)
        assert reason in lines[0], (url, lines)
    # given kind and language, nothing is fetched: the URL is still checked
    proc = run_monitor(
        cdir, "sources", "add", f"http://[::1]:{port}/f", "--kind", "rss", "--language", "en"
    )
    assert proc.returncode != 0
    assert "::1 is a loopback address" in proc.stderr, proc.stderr
    assert canary.connections == []


def test_opml_import_refuses_such_urls(canary: Canary, tmp_path: Path) -> None:
    port = canary.port
    fine = f"http://{SITE}:{port}/feed.xml"
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
        f'<outline type="rss" text="Fine" xmlUrl="{fine}" language="en"/>'
        f'<outline type="rss" text="Local" xmlUrl="http://localhost:{port}/feed.xml" language="en"/>'
        f'<outline type="rss" text="Named" xmlUrl="http://canary.test:{port}/feed.xml"/>'
        f'<outline type="rss" text="Redirected" xmlUrl="http://{SITE}:{port}/redirect/307/0x7f.1"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    cdir = write_config(tmp_path, [], **ALLOW)
    proc = run_monitor(cdir, "sources", "import-opml", str(opml))
    assert proc.returncode == 1, proc.stderr
    assert "added 1" in proc.stdout
    refused = [line for line in proc.stderr.splitlines() if "refused" in line]
    assert len(refused) == 3, proc.stderr
    assert any("localhost = 127.0.0.1" in line for line in refused)
    assert any("canary.test resolves to 127.0.0.1" in line for line in refused)
    assert any("0x7f.1 = 127.0.0.1" in line for line in refused)  # refused when redirected
    assert canary.connections == []
