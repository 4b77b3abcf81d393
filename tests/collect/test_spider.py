"""The collection spider over real Scrapy responses and a real SQLite archive (no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.http import XmlResponse

from monitor.collect.collector import Collector
from monitor.collect.crawl import make_job
from monitor.collect.plan import PagePolicy
from monitor.collect.records import CollectedItem
from monitor.config import CrawlSettings, SourceConfig
from monitor.db.engine import Database
from monitor.db.items import count_items, revisions_of
from monitor.db.runs import start_run
from monitor.db.sources import add_source
from spiders.collect import CollectSpider

FEED_URL = "https://news.example.org/rss.xml"


def feed(titles: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>https://news.example.org/news/story-{i}.html</link>"
        f"<guid>story-{i}</guid><description>Short teaser {i}</description></item>"
        for i, t in enumerate(titles)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>N</title>{items}</channel></rss>'.encode()


def make_spider(db: Database) -> tuple[CollectSpider, Collector, int]:
    with db.session() as s:
        src = add_source(s, SourceConfig(name="News", url=FEED_URL, kind="rss", language="en"))
        job = make_job(src, None, CrawlSettings())
        run = start_run(s, trigger="cli", options={}, sources_total=1, pid=0, now=datetime.now(UTC))
    collector = Collector(db, CrawlSettings(), [job], run_id=run.id, stages=[])
    return CollectSpider(collector=collector, jobs=[job]), collector, job.source_id


def crawl_feed(spider: CollectSpider, collector: Collector, body: bytes) -> list[Any]:
    job = spider.jobs[0]
    response = XmlResponse(url=FEED_URL, body=body, request=Request(FEED_URL))
    out = list(spider.parse_feed(response, job=job))
    for obj in out:
        if isinstance(obj, CollectedItem):
            collector.submit(obj)
    collector.flush()
    return out


def test_known_entries_are_not_fetched_again_and_changes_are_revisions(db: Database) -> None:
    spider, collector, source_id = make_spider(db)
    spider.policy = PagePolicy(fulltext=False)
    first = crawl_feed(spider, collector, feed(["One", "Two"]))
    assert [type(o).__name__ for o in first] == ["CollectedItem", "CollectedItem"]
    with db.session() as s:
        assert count_items(s, source_id) == 2

    spider.policy = PagePolicy(fulltext=True)  # short teasers need the page; these are known
    collector.tally(source_id).seen_keys.clear()
    again = crawl_feed(spider, collector, feed(["One", "Two (corrected)", "Three"]))
    requests = [o for o in again if isinstance(o, Request)]
    assert [r.url for r in requests] == ["https://news.example.org/news/story-2.html"]
    with db.session() as s:
        assert count_items(s, source_id) == 2  # story-2 waits for its page
        from sqlalchemy import select

        from monitor.db.models import Item

        revised = s.scalar(select(Item).where(Item.guid.like("%story-1")))
        assert revised is not None
        assert revised.title == "Two (corrected)"
        assert revised.revision == 2
        assert [r.title for r in revisions_of(s, revised.id)] == ["Two"]
    tally = collector.tally(source_id)
    assert (tally.new, tally.revised, tally.known) == (2, 1, 1)
