"""robots.txt is read before any other request to a host: many sources on one host, several runs,
checked in the local news site's request log (`monitor crawl` child processes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.models import Item, Source
from monitor.newsite import Fault, NewsSite
from tests.collect.support import by_name, crawl_json, write_config

pytestmark = pytest.mark.slow

PRIVATE_OUTLETS = ("tehran-wire", "vektor")


def _stored_items(tmp_path: Path, name: str) -> int:
    db = Database.open(f"sqlite:///{tmp_path / 'archive.db'}", migrate=False)
    try:
        with db.session() as s:
            count = s.scalar(
                select(func.count()).select_from(Item).join(Source).where(Source.name == name)
            )
            return int(count or 0)
    finally:
        db.close()


def test_no_disallowed_url_is_fetched_with_many_sources_on_one_host(
    news_site: NewsSite, tmp_path: Path
) -> None:
    public = news_site.source_configs(kinds=["rss", "atom", "news_sitemap", "listing"])[:8]
    private = [
        public[0].model_copy(
            update={"name": f"Private {slug}", "url": news_site.private_feed_url(slug)}
        )
        for slug in PRIVATE_OUTLETS
    ]
    # the disallowed feeds come first and last, among eight allowed sources of the same host
    sources = [private[0], *public, private[1]]
    assert len({s.url.split("/")[2] for s in sources}) == 1
    cdir = write_config(tmp_path, sources)

    for run in range(3):
        news_site.clear_requests()
        summary = crawl_json(cdir)
        results = by_name(summary)
        paths = [r.path for r in news_site.requests]
        assert paths[0] == "/robots.txt", (run, paths[:5])
        assert paths.count("/robots.txt") == 1, run
        assert not [p for p in paths if p.startswith("/private/")], run
        for source in private:
            assert results[source.name]["status"] == "failed", (run, results[source.name])
            assert "robots.txt" in results[source.name]["messages"][0]
            assert _stored_items(tmp_path, source.name) == 0
        for source in public:
            assert results[source.name]["status"] in ("ok", "not_modified"), results[source.name]
    assert _stored_items(tmp_path, public[0].name) > 0


def test_an_unreadable_robots_txt_keeps_the_host_closed(
    news_site: NewsSite, tmp_path: Path
) -> None:
    sources = news_site.source_configs(kinds=["rss"])[:5]
    cdir = write_config(tmp_path, sources)
    news_site.set_fault("/robots.txt", Fault(kind="server_error", status=503))
    summary = crawl_json(cdir, expect_rc=1)
    assert {s["status"] for s in summary["sources"]} == {"failed"}
    message = summary["sources"][0]["messages"][0]
    assert "robots.txt could not be read (HTTP 503)" in message, message
    assert {r.path for r in news_site.requests} == {"/robots.txt"}


def test_a_missing_robots_txt_means_no_rules(news_site: NewsSite, tmp_path: Path) -> None:
    private = news_site.source_configs(kinds=["rss"], outlets=["tehran-wire"])[0].model_copy(
        update={"name": "Private feed", "url": news_site.private_feed_url("tehran-wire")}
    )
    cdir = write_config(tmp_path, [private])
    news_site.set_fault("/robots.txt", Fault(kind="not_found"))
    summary = crawl_json(cdir)
    assert summary["sources"][0]["status"] == "ok", summary["sources"][0]
    assert news_site.requests[0].path == "/robots.txt"
