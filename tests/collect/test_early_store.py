"""End to end: a source's entries are stored as soon as its feed is read, whatever its article
pages do; the article text comes later as a revision that is judged and folded again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.items import revisions_of
from monitor.db.models import CrawlRun, CrawlRunSource, Item
from monitor.newsite import Article, Fault, NewsSite, Outlet
from monitor.newsite.routes import article_path, feed_path
from tests.collect.support import crawl_json, run_monitor, write_config

pytestmark = pytest.mark.slow

ENTRIES = 12
TEASER = "Officials met on Tuesday."  # feed text: short (the page is needed) and not relevant
BODY = (
    "Iranian Foreign Minister Abbas Araghchi met Russian Foreign Minister Sergei Lavrov in "
    "Moscow to discuss the North-South transport corridor and military cooperation between "
    "Tehran and Moscow."
)


def _outlet() -> Outlet:
    now = datetime.now(UTC).replace(microsecond=0)
    articles = [
        Article(
            slug=f"talks-{i:02d}",
            title=f"Delegations meet in the capital, round {i}",
            body=(f"Round {i} of the talks. {BODY}", f"{BODY} The round {i} ended late."),
            author="Staff reporter",
            published=now - timedelta(hours=i + 1),
            summary=TEASER,
            full_in_feed=False,
            relevance_hint="bilateral",
        )
        for i in range(ENTRIES)
    ]
    return Outlet(slug="slow-pages", name="Slow Pages", language="en", kinds=("rss",),
                  articles=articles)  # fmt: skip


def _db(tmp_path: Path) -> Database:
    return Database.open(f"sqlite:///{tmp_path / 'archive.db'}", migrate=False)


def _items(tmp_path: Path) -> list[Item]:
    path = tmp_path / "archive.db"
    if not path.exists():
        return []
    db = _db(tmp_path)
    try:
        with db.session() as s:
            rows = list(s.scalars(select(Item).order_by(Item.id)))
            s.expunge_all()
            return rows
    except Exception:  # the crawl has not created its tables yet
        return []
    finally:
        db.close()


def _wait(what: str, check: Callable[[], bool], proc: subprocess.Popen[str], within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert proc.poll() is None, (what, proc.stderr.read() if proc.stderr else "")
        assert time.monotonic() < deadline, f"{what}: not within {within}s"
        time.sleep(0.05)


def _crawl(cdir: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["NO_PROXY"] = "*"
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(cdir), "crawl", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _hang_every_page(site: NewsSite, outlet: Outlet) -> list[str]:
    paths = [article_path(outlet.slug, a) for a in outlet.articles]
    for path in paths:
        site.set_fault(path, Fault(kind="timeout", hang_s=600))
    return paths


def _served(site: NewsSite, paths: Sequence[str]) -> int:
    """Requests to ``paths`` that got an answer (status 0: none, the page hung)."""
    return sum(1 for r in site.requests if r.path in paths and r.status != 0)


def test_entries_are_stored_after_one_feed_fetch_while_article_pages_never_answer(
    news_site_factory: Callable[[Sequence[Outlet]], NewsSite], tmp_path: Path
) -> None:
    outlet = _outlet()
    site = news_site_factory([outlet])
    pages = _hang_every_page(site, outlet)
    # one page at a time; SIGTERM (the daemon's time limit) lets the page in flight time out
    cdir = write_config(
        tmp_path, site.source_configs(), download_timeout_s=5, retries=0,
        concurrent_requests=1, concurrent_requests_per_domain=1,
    )  # fmt: skip
    proc = _crawl(cdir)
    try:
        feed = feed_path(outlet.slug, "rss")
        _wait("the feed fetch", lambda: any(r.path == feed for r in site.requests), proc, 60)
        _wait("any entry stored", lambda: bool(_items(tmp_path)), proc, 60)
        first = _items(tmp_path)
        # every entry at once, before any page answered or failed: with its feed text, judged
        # on it (not relevant yet), its page still to come
        assert len(first) == ENTRIES
        for item in first:
            assert (item.text, item.fulltext_status, item.revision) == (TEASER, "pending", 1)
            assert item.relevant is False
        assert _served(site, pages) == 0
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    items = _items(tmp_path)
    assert len(items) == ENTRIES
    assert {i.text for i in items} == {TEASER}
    # the page in flight at the stop timed out (failed); the others were cut off (pending)
    pending = [i for i in items if i.fulltext_status == "pending"]
    failed = [i for i in items if i.fulltext_status == "failed"]
    assert len(pending) >= ENTRIES - 2
    assert len(pending) + len(failed) == ENTRIES
    db = _db(tmp_path)
    with db.session() as s:
        (run,) = s.scalars(select(CrawlRun)).all()
        (row,) = s.scalars(select(CrawlRunSource)).all()
        assert (run.status, run.new_items) == ("partial", ENTRIES), stderr[-2000:]
        assert (row.status, row.new_items) == ("partial", ENTRIES)
        note = row.messages[0]
        assert note.startswith("partial: "), row.messages
        assert f"{len(pending)} article pages cut off" in note
    db.close()
    status = run_monitor(cdir, "sources", "status", "--json")
    assert status.returncode == 0, status.stderr
    (health,) = json.loads(status.stdout)
    assert (health["last_run_status"], health["last_run_note"]) == (
        "partial",
        note.removeprefix("partial: "),
    )
    table = run_monitor(cdir, "sources", "status")
    assert "partial" in table.stdout

    # the pages answer at last: the next run fetches those cut off (a failed page is not
    # retried) and attaches their text as a revision, judged and folded again
    site.clear_faults()
    again = crawl_json(cdir)
    assert again["status"] == "ok", again["sources"]
    (src,) = again["sources"]
    assert (src["status"], src["new_items"]) == ("ok", 0)
    assert again["attached_items"] == len(pending)
    assert _served(site, pages) == len(pending)
    db = _db(tmp_path)
    with db.session() as s:
        for item in s.scalars(select(Item).where(Item.id.in_([i.id for i in pending]))):
            assert (item.fulltext_status, item.revision) == ("ok", 2)
            assert "Araghchi" in item.text
            assert item.relevant is True  # relevant on its full text
            assert item.story_id is not None  # … and folded
            assert [r.text for r in revisions_of(s, item.id)] == [TEASER]
    db.close()
    status = run_monitor(cdir, "sources", "status", "--json")
    assert json.loads(status.stdout)[0]["last_run_status"] == "ok"


def test_failed_article_pages_make_the_source_partial_and_the_cap_holds(
    news_site_factory: Callable[[Sequence[Outlet]], NewsSite], tmp_path: Path
) -> None:
    outlet = _outlet()
    site = news_site_factory([outlet])
    pages = [article_path(outlet.slug, a) for a in outlet.articles]
    for path in pages[:2]:
        site.set_fault(path, Fault(kind="not_found"))
    cdir = write_config(tmp_path, site.source_configs(), max_article_fetches_per_source=5)
    first = crawl_json(cdir)
    (src,) = first["sources"]
    assert (first["status"], src["status"], src["new_items"]) == ("partial", "partial", ENTRIES)
    assert src["messages"][0] == "partial: 2 article pages failed"
    assert any("7 article pages left for the next run" in m for m in src["messages"])
    assert _served(site, pages) == 5  # the cap
    assert first["attached_items"] == 3
    items = {i.url.rsplit("/", 1)[-1]: i for i in _items(tmp_path)}
    statuses = sorted(i.fulltext_status for i in items.values())
    assert statuses == ["failed"] * 2 + ["ok"] * 3 + ["pending"] * 7

    site.clear_faults()
    second = crawl_json(cdir)  # five more of the pending pages; failed ones are not retried
    assert (second["status"], second["attached_items"], second["new_items"]) == ("ok", 5, 0)
    third = crawl_json(cdir)
    assert (third["status"], third["attached_items"]) == ("ok", 2)
    statuses = sorted(i.fulltext_status for i in _items(tmp_path))
    assert statuses == ["failed"] * 2 + ["ok"] * 10
    assert _served(site, pages) == ENTRIES
