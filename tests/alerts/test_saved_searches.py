"""Saved searches: the CLI, each search's Atom feed, and digests that keep to a query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import feedparser
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import cli
from monitor.db.engine import Database
from monitor.db.models import SavedSearch
from monitor.db.read.searches import saved_search_feed
from monitor.db.saved_searches import save_search
from monitor.digest.service import find_recipients, run_digest
from monitor.scheduler.daemon import Daemon
from monitor.scheduler.jobs import RunOptions
from monitor.scheduler.status import collect_status
from monitor.search.export import SAVED_FEED_ROUTE, saved_feed_path
from tests.digest.support import T0, Archive, hours, make_config

GAS = "Iran and Russia agree gas swap"
RAIL = "Rasht–Astara railway loan signed"


def _config_dir(root: Path, db: Database, **extra: Any) -> Path:
    cdir = root / "config"
    cdir.mkdir(parents=True, exist_ok=True)
    settings = {
        "database_url": db.engine.url.render_as_string(hide_password=False),
        "data_dir": str(root / "data"),
        "outbox_dir": str(root / "outbox"),
        "recipients": [],
        **extra,
    }
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings), "utf-8")
    return cdir


def _search_row(db: Database, name: str) -> SavedSearch | None:
    with db.session() as s:
        row = s.scalars(select(SavedSearch).where(SavedSearch.name == name)).first()
        if row is not None:
            s.expunge(row)
        return row


def test_searches_cli_prints_the_feed_path_the_web_app_serves(db: Database, tmp_path: Path) -> None:
    cdir = _config_dir(tmp_path, db)
    runner = CliRunner()
    base = ["--config", str(cdir), "searches"]
    added = runner.invoke(cli, [*base, "add", "gas", "gas OR swap", "--email", "g@example.org"])
    assert added.exit_code == 0, added.output
    row = _search_row(db, "gas")
    assert row is not None
    assert (row.mode, row.address, row.query) == ("digest", "g@example.org", "gas OR swap")
    path = saved_feed_path(row.feed_token)
    assert path == f"/searches/feed/{row.feed_token}.atom"
    assert SAVED_FEED_ROUTE == "/searches/feed/{token}.atom"
    assert f"Its feed: {path}\n" in added.output
    assert "Delivered as the recipient 'search:gas'." in added.output

    listed = CliRunner(env={"COLUMNS": "300"}).invoke(cli, [*base, "list"])
    assert listed.exit_code == 0, listed.output
    assert "gas OR swap" in listed.output
    assert path in listed.output

    # replacing the search keeps its feed; unsubscribing keeps the search and its feed
    again = runner.invoke(cli, [*base, "add", "gas", "gas", "--email", "g@example.org"])
    assert again.exit_code == 0, again.output
    assert f"Its feed: {path}\n" in again.output
    off = runner.invoke(cli, [*base, "unsubscribe", "gas"])
    assert off.exit_code == 0, off.output
    row = _search_row(db, "gas")
    assert row is not None
    assert (row.mode, row.address, row.query) == ("none", None, "gas")
    assert saved_feed_path(row.feed_token) == path

    bad = runner.invoke(cli, [*base, "add", "broken", '"gas swap'])
    assert bad.exit_code == 2
    assert "position" in bad.output
    assert _search_row(db, "broken") is None
    missing = runner.invoke(cli, [*base, "unsubscribe", "nope"])
    assert missing.exit_code == 3
    gone = runner.invoke(cli, [*base, "remove", "gas"])
    assert gone.exit_code == 0, gone.output
    assert _search_row(db, "gas") is None


def test_feed_url_in_full_when_the_web_app_has_a_public_address(
    db: Database, tmp_path: Path
) -> None:
    cdir = _config_dir(tmp_path, db, web={"public_url": "https://monitor.example.org/"})
    out = CliRunner().invoke(cli, ["--config", str(cdir), "searches", "add", "rail", "railway"])
    assert out.exit_code == 0, out.output
    row = _search_row(db, "rail")
    assert row is not None
    assert row.mode == "none"
    assert f"Its feed: https://monitor.example.org/searches/feed/{row.feed_token}.atom" in (
        out.output
    )


def test_saved_search_feed_lists_only_matching_items_escaped(db: Database) -> None:
    with db.session() as s:
        a = Archive(s)
        gas = a.item("Alpha", GAS, summary="A gas swap through Azerbaijan.", at=T0)
        a.item("Beta", RAIL, summary="The railway loan.", at=T0 + hours(1))
        hostile = a.item("Gamma", 'Gas <b>"swap"</b> & more', at=T0 + hours(2))
        a.item("Delta", "Gas swap rumour", relevant=False, at=T0 + hours(3))
        row = save_search(
            s, name="gas & co", query="gas", filters={"languages": ["en"]}, created_by="t"
        )
        token, ids = row.feed_token, [hostile.id, gas.id]
    with db.session() as s:
        body = saved_search_feed(s, token, base_url="https://monitor.example.org/", title="Desk")
        assert saved_search_feed(s, token + "x", base_url="http://x/", title="Desk") is None
    assert body is not None
    assert "<b>" not in body
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Desk: gas & co"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"https://monitor.example.org/searches/feed/{token}.atom"
    assert links["alternate"] == "https://monitor.example.org/search?q=gas&language=en"
    assert [e.link for e in feed.entries] == [
        "https://gamma.example.net/news/3",
        "https://alpha.example.net/news/1",
    ]
    assert feed.entries[0].title == 'Gas <b>"swap"</b> & more'
    assert [e.id for e in feed.entries] == [f"https://monitor.example.org/items/{i}" for i in ids]


def test_digest_of_a_recipient_or_a_subscribed_search_keeps_to_its_query(
    db: Database, tmp_path: Path
) -> None:
    with db.session() as s:
        a = Archive(s)
        a.item("Alpha", GAS, at=T0)
        a.item("Beta", RAIL, at=T0 + hours(1))
        a.item("Gamma", "Caspian gas pipeline talks", at=T0 + hours(1))
        save_search(
            s,
            name="rail",
            query="railway",
            filters={},
            created_by="t",
            mode="digest",
            address="rail@example.org",
        )
        save_search(s, name="feed only", query="gas", filters={}, created_by="t")
    config = make_config(
        tmp_path,
        recipients=[
            {"name": "desk", "address": "desk@example.org", "query": "gas -swap"},
            {"name": "all", "address": "all@example.org"},
        ],
    )
    assert [r.name for r in find_recipients(config, None, db)] == ["desk", "all", "search:rail"]
    now = T0 + hours(2)
    texts = {}
    for name in ("desk", "all", "search:rail"):
        out = run_digest(config, db, name, "preview", now=now)
        assert out.text_path is not None
        texts[name] = (out.item_count, out.text_path.read_text())
    assert texts["desk"][0] == 1
    assert "Caspian gas pipeline talks" in texts["desk"][1]
    assert texts["all"][0] == 3
    assert texts["search:rail"][0] == 1
    assert RAIL in texts["search:rail"][1]
    assert GAS not in texts["search:rail"][1]


def test_daemon_schedules_saved_search_digests_as_they_come_and_go(
    db: Database, tmp_path: Path
) -> None:
    config = make_config(tmp_path, recipients=[{"name": "desk", "address": "d@example.org"}])
    d = Daemon(config, db, RunOptions(crawl_every_s=600))
    d.scheduler.start(paused=True)
    try:
        d.add_jobs(first_crawl_now=False)
        assert sorted(d.next_runs()) == ["crawl", "digest:desk", "upkeep"]
        with db.session() as s:
            save_search(
                s,
                name="rail",
                query="railway",
                filters={},
                created_by="t",
                mode="digest",
                address="rail@example.org",
                schedule="weekly fri 09:00",
                timezone="Asia/Tehran",
            )
            save_search(s, name="now", query="gas", filters={}, created_by="t", mode="immediate",
                        address="n@example.org")  # fmt: skip
        d.tick()
        assert sorted(d.next_runs()) == ["crawl", "digest:desk", "digest:search:rail", "upkeep"]
        status = collect_status(config, db, T0)
        assert [r.name for r in status.recipients] == ["desk", "search:rail"]
        assert "digest:search:rail" in [j.job_id for j in status.jobs]
        job = d.scheduler.get_job("digest:search:rail")
        assert job is not None
        assert "day_of_week='fri'" in str(job.trigger)
        assert str(job.trigger.timezone) == "Asia/Tehran"
        assert d.runner.recipient("search:rail") is not None
        assert d.sync_digest_jobs() == ([], [])  # nothing changed: nothing re-created
        with db.session() as s:
            save_search(s, name="rail", query="railway", filters={}, created_by="t",
                        mode="digest", address="rail@example.org", schedule="daily 06:30")  # fmt: skip
        assert d.sync_digest_jobs() == (["search:rail"], [])
        assert "hour='6', minute='30'" in str(d.scheduler.get_job("digest:search:rail").trigger)
        runner = CliRunner()
        cdir = _config_dir(tmp_path / "cli", db)
        out = runner.invoke(cli, ["--config", str(cdir), "searches", "unsubscribe", "rail"])
        assert out.exit_code == 0, out.output
        d.tick()
        assert sorted(d.next_runs()) == ["crawl", "digest:desk", "upkeep"]
        assert d.runner.recipient("search:rail") is None
    finally:
        d.scheduler.shutdown(wait=False)
