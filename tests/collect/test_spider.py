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
    submit(collector, out)
    return out


def submit(collector: Collector, out: list[Any]) -> None:
    """What the store pipeline does with the items a step yields."""
    for obj in out:
        if isinstance(obj, CollectedItem):
            collector.submit(obj)
    collector.flush()


def test_known_entries_are_not_fetched_again_and_changes_are_revisions(db: Database) -> None:
    spider, collector, source_id = make_spider(db)
    spider.policy = PagePolicy(fulltext=False)
    first = crawl_feed(spider, collector, feed(["One", "Two"]))
    assert first == []  # stored while the feed was read: nothing left for the pipeline
    with db.session() as s:
        assert count_items(s, source_id) == 2

    spider.policy = PagePolicy(fulltext=True)  # short teasers need the page; these are known
    collector.tally(source_id).seen_keys.clear()
    again = crawl_feed(spider, collector, feed(["One", "Two (corrected)", "Three"]))
    requests = [o for o in again if isinstance(o, Request)]
    assert [r.url for r in requests] == ["https://news.example.org/news/story-2.html"]
    with db.session() as s:
        assert count_items(s, source_id) == 3  # story-2 is stored already; its page comes later
        from sqlalchemy import select

        from monitor.db.models import Item

        revised = s.scalar(select(Item).where(Item.guid.like("%story-1")))
        assert revised is not None
        assert revised.title == "Two (corrected)"
        assert revised.revision == 2
        assert [r.title for r in revisions_of(s, revised.id)] == ["Two"]
    tally = collector.tally(source_id)
    assert (tally.new, tally.revised, tally.known) == (3, 1, 1)


ARTICLE_HTML = (
    "<html><head><title>Two</title></head><body><article><h1>Two</h1>"
    + "<p>The whole article about the talks, paragraph {n}, with enough words to be text.</p>" * 8
    + "</article></body></html>"
)


def _pages(spider: CollectSpider, out: list[Any]) -> list[tuple[Request, Any]]:
    return [(r, r.cb_kwargs["fetch"]) for r in out if isinstance(r, Request)]


async def _collect(agen: Any) -> list[Any]:
    return [obj async for obj in agen]


def _drain(agen: Any) -> list[Any]:
    """Everything an async generator yields, run on a loop of its own in a fresh thread (a
    browser test earlier in the same process may have left this thread's event loop running)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _collect(agen)).result()


def test_an_entry_waits_for_no_page_its_text_comes_as_a_revision(db: Database) -> None:
    from scrapy.http import HtmlResponse
    from sqlalchemy import select
    from twisted.internet.error import TimeoutError as TwistedTimeout
    from twisted.python.failure import Failure

    from monitor.db.models import Item

    spider, collector, source_id = make_spider(db)
    out = crawl_feed(spider, collector, feed(["One", "Two"]))
    (one, _fetch_one), (two, fetch_two) = _pages(spider, out)
    with db.session() as s:  # both stored before either page was asked for, with the teaser
        rows = {r.guid.rsplit("/", 1)[-1]: r for r in s.scalars(select(Item))}
        assert {g: (r.text, r.fulltext_status) for g, r in rows.items()} == {
            "story-0": ("Short teaser 0", "pending"),
            "story-1": ("Short teaser 1", "pending"),
        }
    job = spider.jobs[0]
    body = ARTICLE_HTML.format(n=1).encode()
    page = HtmlResponse(url=two.url, body=body, request=two, encoding="utf-8")
    submit(collector, _drain(spider.parse_article(page, job=job, fetch=fetch_two)))
    timeout = Failure(TwistedTimeout("took too long"))
    timeout.request = one  # type: ignore[attr-defined]
    submit(collector, list(spider.article_failed(timeout)))

    with db.session() as s:
        rows = {r.guid.rsplit("/", 1)[-1]: r for r in s.scalars(select(Item))}
        attached = rows["story-1"]
        assert attached.fulltext_status == "ok"
        assert "The whole article about the talks" in attached.text
        assert attached.revision == 2
        assert [r.text for r in revisions_of(s, attached.id)] == ["Short teaser 1"]
        failed = rows["story-0"]
        assert (failed.text, failed.fulltext_status, failed.revision) == (
            "Short teaser 0",
            "failed",
            1,
        )
    tally = collector.tally(source_id)
    assert (tally.new, tally.attached, tally.known, tally.revised) == (2, 1, 0, 0)
    assert (tally.pages_asked, tally.pages_done, tally.pages_failed) == (2, 2, 1)
    assert tally.close() == "partial"
    assert tally.messages[0] == "partial: 1 article page failed"


def test_article_pages_beyond_the_cap_wait_for_the_next_run(db: Database) -> None:
    from sqlalchemy import select

    from monitor.db.models import Item

    spider, collector, source_id = make_spider(db)
    collector.crawl = CrawlSettings(max_article_fetches_per_source=2)
    out = crawl_feed(spider, collector, feed(["One", "Two", "Three"]))
    assert len(_pages(spider, out)) == 2
    with db.session() as s:
        assert [r.fulltext_status for r in s.scalars(select(Item))] == ["pending"] * 3
    tally = collector.tally(source_id)
    assert (tally.pages_asked, tally.pages_deferred) == (2, 1)
    tally.pages_done = 2  # the two pages came
    assert tally.close() == "ok"  # every entry is stored: the deferred page is a warning
    assert any("left for the next run" in m for m in tally.messages)
