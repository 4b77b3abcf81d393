"""Server behaviour: concurrent changes while serving, prompt shutdown, the CLI entry point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from monitor.newsite import Article, Fault, NewsSite, demo_outlets

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_add_article_while_serving_is_thread_safe(news_site: NewsSite) -> None:
    url = news_site.feed_url("tehran-wire", "sitemap")
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        with httpx.Client(trust_env=False, timeout=5) as client:
            while not stop.is_set():
                try:
                    ET.fromstring(client.get(url).content)
                except BaseException as exc:
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    base = Article(
        slug="x",
        title="Concurrent",
        body=("Text.",),
        author="A",
        published=datetime.now(UTC).replace(microsecond=0),
    )
    for i in range(60):
        news_site.add_article("tehran-wire", replace(base, slug=f"concurrent-{i}"))
        if i % 10 == 0:
            news_site.revise_article("tehran-wire", f"concurrent-{i}", title=f"Revised {i}")
        stop.wait(0.005)  # let the readers interleave with the changes
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert errors == []
    with httpx.Client(trust_env=False) as client:
        root = ET.fromstring(client.get(url).content)
    locs = [e.text or "" for e in root.iter(f"{SITEMAP_NS}loc")]
    assert sum("/concurrent-" in loc for loc in locs) == 60
    assert len(news_site.requests_for(url)) > 4


def test_shutdown_is_prompt_with_hanging_requests() -> None:
    site = NewsSite(demo_outlets()).start()
    path = "/tehran-wire/rss.xml"
    site.set_fault(path, Fault(kind="timeout", hang_s=120))
    outcomes: list[str] = []

    def client() -> None:
        try:
            with httpx.Client(trust_env=False, timeout=60) as c:
                c.get(site.url(path))
            outcomes.append("response")
        except httpx.HTTPError as exc:
            outcomes.append(type(exc).__name__)

    worker = threading.Thread(target=client)
    worker.start()
    threading.Event().wait(0.3)  # the request reaches the server and starts hanging
    started = time.monotonic()
    site.stop()
    worker.join(timeout=5)
    assert time.monotonic() - started < 3
    assert not worker.is_alive()
    assert outcomes
    assert outcomes[0] != "response"


def test_base_url_needs_a_running_site() -> None:
    site = NewsSite(demo_outlets())
    with pytest.raises(RuntimeError, match="not running"):
        _ = site.base_url
    with site:
        assert site.base_url.startswith("http://127.0.0.1:")
    site.stop()  # idempotent


def test_dates_follow_now() -> None:
    now = datetime(2025, 6, 1, 12, tzinfo=UTC)
    articles = [a for o in demo_outlets(now) for a in o.articles]
    assert max(a.published for a in articles) > now  # one deliberately future-dated item
    assert min(a.published for a in articles) >= now - timedelta(days=7)


def test_module_cli_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.newsite", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Local test news site: http://127.0.0.1:")
        base = first.split(": ", 1)[1].strip().rstrip("/")
        lines = [proc.stdout.readline() for _ in range(3)]
        assert "/tehran-wire/rss.xml" in lines[1]
        with httpx.Client(trust_env=False) as client:
            assert "Disallow: /private/" in client.get(base + "/robots.txt").text
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
