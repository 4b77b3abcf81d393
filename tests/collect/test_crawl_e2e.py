"""End to end: `monitor crawl` (child processes) against the local test news site."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.models import CrawlRun, CrawlRunSource, FetchState, Item, ItemRevision, Source
from monitor.newsite import ALL_FEED_KINDS, Article, Fault, NewsSite
from monitor.textnorm import normalise
from tests.collect.support import by_name, crawl_json, run_monitor, write_config

pytestmark = pytest.mark.slow


def _db(tmp_path: Path) -> Database:
    return Database.open(f"sqlite:///{tmp_path / 'archive.db'}", migrate=False)


def _article_requests(site: NewsSite) -> list[str]:
    return [r.path for r in site.requests if r.path.endswith(".html")]


def test_crawl_whole_site_then_recrawl_is_quiet(news_site: NewsSite, tmp_path: Path) -> None:
    sources = news_site.source_configs(kinds=ALL_FEED_KINDS)
    cdir = write_config(tmp_path, sources)

    first = crawl_json(cdir)
    assert first["status"] == "ok", [s for s in first["sources"] if s["status"] != "ok"]
    assert first["sources_total"] == len(sources)
    assert first["new_items"] > 40

    db = _db(tmp_path)
    with db.session() as s:
        langs = set(s.scalars(select(Item.declared_language).distinct()))
        assert langs == {"en", "ru", "fa"}
        items = list(s.scalars(select(Item)))
        by_url = {i.canonical_url: i for i in items}
        # every article of every outlet arrived, with its title decoded right (koi8-r, cp1251, cp1256)
        for outlet in news_site.outlets:
            for art in outlet.articles:
                url = news_site.article_url(outlet.slug, art.slug)
                stored = by_url.get(url)
                assert stored is not None, url
                # a title is text: markup spelled out in it ("<script>…") is kept as written
                assert normalise(stored.title) == normalise(art.title)
                if stored.fulltext_status == "ok":
                    # main text only: no author box, share bar, "read also", related headlines
                    assert normalise(stored.text) == normalise(art.text), url
                if art.published > datetime.now(UTC) + timedelta(days=1):
                    # a date in the future is flagged, never stored as if it were true
                    assert (stored.published_at, stored.date_quality) == (None, "future")
                else:
                    assert stored.published_at == art.published, url
                    assert stored.first_seen_at >= stored.published_at
        run = s.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()))
        assert run is not None
        assert run.finished_at is not None
        assert run.status == "ok"
        assert s.scalar(select(func.count()).select_from(CrawlRunSource)) == len(sources)
    fetched_pages = len(_article_requests(news_site))
    assert fetched_pages > 0
    news_site.clear_requests()

    second = crawl_json(cdir)
    assert second["new_items"] == 0
    assert second["revised_items"] == 0
    assert second["errors"] == 0
    assert any(s["status"] == "not_modified" for s in second["sources"])
    statuses = [r.status for r in news_site.requests if r.path.endswith((".xml", ".rdf"))]
    assert 304 in statuses
    # known before fetched: not a single article page was fetched again
    assert _article_requests(news_site) == []

    # new reporting and a revision show up on the next crawl
    outlet = news_site.outlets[0]
    old = outlet.sorted_articles()[0]
    news_site.revise_article(outlet.slug, old.slug, title=old.title + " (updated)")
    fresh = Article(
        slug="caspian-ferry-line-opens",
        title="Caspian ferry line opens between Astrakhan and Anzali",
        body=("A new ferry line links Astrakhan and Bandar Anzali from Monday, officials said.",)
        * 3,
        author="Test Desk",
        published=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1),
    )
    news_site.add_article(outlet.slug, fresh)
    assert sources[0].url.endswith("rss.xml")
    third = crawl_json(cdir, "--source", sources[0].name)
    assert third["sources_total"] == 1
    assert (third["new_items"], third["revised_items"]) == (1, 1)
    with db.session() as s:
        item = s.scalar(
            select(Item)
            .join(Source, Source.id == Item.source_id)
            .where(Source.name == sources[0].name)
            .where(Item.canonical_url == news_site.article_url(outlet.slug, old.slug))
        )
        assert item is not None
        assert item.title == old.title + " (updated)"
        revs = list(s.scalars(select(ItemRevision).where(ItemRevision.item_id == item.id)))
        # one revision for the new title (and, before it, one for its article text when its
        # page was fetched: the item was stored with its feed text first)
        attached = 1 if item.fulltext_status == "ok" else 0
        assert item.revision == 2 + attached
        assert [r.title for r in revs] == [old.title] * (1 + attached)
    db.close()


def test_bad_sources_fail_alone(news_site: NewsSite, tmp_path: Path) -> None:
    site = news_site
    faults = {
        ("tehran-wire", "rss"): {"kind": "not_found"},
        ("tehran-wire", "news_sitemap"): {"kind": "server_error"},
        ("global-dispatch", "atom"): {"kind": "timeout", "hang_s": 30},
        ("global-dispatch", "rss"): {"kind": "oversize", "size_bytes": 5_000_000},
        ("global-dispatch", "news_sitemap"): {
            "kind": "oversize",
            "size_bytes": 50_000_000,
            "gzip": True,
        },
        ("eurasia-ledger", "rss1"): {"kind": "redirect_loop"},
        ("vektor", "atom"): {"kind": "malformed_xml"},
        ("delovoy-kurier", "rss"): {"kind": "wrong_charset", "declared_charset": "utf-8"},
        ("delovoy-kurier", "rss1"): {"kind": "html_instead_of_feed"},
        ("kaspiyskaya-pravda", "rss1"): {"kind": "missing_charset"},
        ("aftab", "rss"): {"kind": "wrong_charset", "declared_charset": "iso-8859-1"},
        ("aftab", "sitemap"): {"kind": "entity_bomb"},
        ("pol-media", "atom"): {"kind": "empty_feed"},
        ("pol-media", "news_sitemap"): {"kind": "rate_limited", "retry_after": "600"},
    }
    from monitor.newsite import Fault

    sources = []
    for (slug, kind), params in faults.items():
        cfg = site.source_configs(kinds=[kind], outlets=[slug])[0]
        sources.append(cfg)
        site.set_fault(site.feed_url(slug, kind).removeprefix(site.base_url), Fault(**params))  # type: ignore[arg-type]
    good = site.source_configs(kinds=["listing"], outlets=["tehran-wire"])[0]
    sources.append(good)
    cdir = write_config(tmp_path, sources, download_timeout_s=2, retries=0)

    summary = crawl_json(cdir)
    res = {
        (slug, kind): by_name(summary)[cfg.name]
        for (slug, kind), cfg in zip(faults, sources, strict=False)
    }
    assert summary["status"] == "partial"

    def failed(key: tuple[str, str], *words: str) -> None:
        r = res[key]
        assert r["status"] == "failed", r
        text = " ".join(r["messages"]).lower()
        for w in words:
            assert w.lower() in text, (key, r["messages"])

    failed(("tehran-wire", "rss"), "404")
    failed(("tehran-wire", "news_sitemap"), "500")
    failed(("global-dispatch", "atom"), "timed out")
    failed(("global-dispatch", "rss"), "size limit")
    failed(("global-dispatch", "news_sitemap"), "size limit")
    failed(("eurasia-ledger", "rss1"), "redirect")
    failed(("delovoy-kurier", "rss1"), "HTML page")
    failed(("aftab", "sitemap"), "DTD or entities")
    failed(("pol-media", "news_sitemap"), "429")
    malformed = res[("vektor", "atom")]
    assert malformed["status"] == "ok"
    assert malformed["new_items"] >= 1
    assert any("malformed" in m for m in malformed["messages"])
    empty = res[("pol-media", "atom")]
    assert empty["status"] == "ok"
    assert empty["new_items"] == 0
    assert any("no entries" in m for m in empty["messages"])
    assert by_name(summary)[good.name]["status"] == "ok"
    assert by_name(summary)[good.name]["new_items"] > 0

    db = _db(tmp_path)
    with db.session() as s:
        # wrong or missing charsets still decode to the right text
        for slug in ("delovoy-kurier", "kaspiyskaya-pravda", "aftab"):
            outlet = site.outlet(slug)
            titles = {normalise(a.title) for a in outlet.articles}
            stored = list(
                s.scalars(select(Item.title).where(Item.canonical_url.like(f"%/{slug}/news/%")))
            )
            assert stored, slug
            assert {normalise(t) for t in stored} <= titles, slug
        # the 429's Retry-After is honoured: the source is not due before it
        src = s.scalar(select(Source).where(Source.name == sources[-2].name))
        assert src is not None
        state = s.get(FetchState, src.id)
        assert state is not None
        assert state.retry_after_until is not None
        assert state.next_due_at is not None
        assert state.next_due_at >= state.retry_after_until
        assert state.consecutive_failures == 1
        run = s.scalar(select(CrawlRun))
        assert run is not None
        assert run.sources_failed == 9
        assert run.errors >= 9
    db.close()

    # sources status shows the health; --due skips the sources in back-off
    proc = run_monitor(cdir, "sources", "status", "--json")
    assert proc.returncode == 0, proc.stderr
    health = {h["name"]: h for h in json.loads(proc.stdout)}
    assert health[sources[0].name]["consecutive_failures"] == 1
    assert "404" in health[sources[0].name]["last_error"]
    assert health[good.name]["consecutive_failures"] == 0
    due = crawl_json(cdir, "--due")
    assert due["sources_total"] == 0
    table = run_monitor(cdir, "sources", "status")
    assert table.returncode == 0
    assert "failing" in table.stdout


def test_every_source_failing_exits_non_zero(news_site: NewsSite, tmp_path: Path) -> None:
    private = news_site.source_configs(kinds=["rss"], outlets=["tehran-wire"])[0].model_copy(
        update={"name": "Private feed", "url": news_site.private_feed_url("tehran-wire")}
    )
    cdir = write_config(tmp_path, [private])
    summary = crawl_json(cdir, expect_rc=1)
    assert summary["status"] == "failed"
    assert "robots.txt" in summary["sources"][0]["messages"][0]
    assert not any(r.path.startswith("/private/") for r in news_site.requests)
    unknown = run_monitor(cdir, "crawl", "--source", "No such source")
    assert unknown.returncode != 0
    assert "no source named" in unknown.stderr


def test_sources_add_discovers_the_feed(news_site: NewsSite, tmp_path: Path) -> None:
    cdir = write_config(tmp_path, [])
    home = news_site.url("/tehran-wire/")
    proc = run_monitor(cdir, "sources", "add", home, "--name", "Tehran Wire")
    assert proc.returncode == 0, proc.stderr
    db = _db(tmp_path)
    with db.session() as s:
        src = s.scalar(select(Source).where(Source.name == "Tehran Wire"))
        assert src is not None
        assert (src.url, src.kind) == (news_site.feed_url("tehran-wire", "rss"), "rss")
    db.close()
    assert any(r.path == "/tehran-wire/" for r in news_site.requests)


def test_failing_source_output_is_quiet_and_clear(news_site: NewsSite, tmp_path: Path) -> None:
    """A failure reads as one line per source plus the summary: no library start-up chatter,
    no tracebacks (Scrapy's logging set-up must not reset our log levels)."""
    gone = news_site.source_configs(kinds=["rss"], outlets=["tehran-wire"])[0]
    news_site.set_fault(gone.url, Fault(kind="not_found"))
    unreachable = gone.model_copy(update={"name": "Closed port", "url": "http://127.0.0.1:9/feed"})
    cdir = write_config(tmp_path, [gone, unreachable])
    proc = run_monitor(cdir, "crawl")
    assert proc.returncode == 1
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output
    assert " INFO " not in output
    assert " DEBUG " not in output
    assert "404" in output
    assert "Closed port" in output
