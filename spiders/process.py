"""Starting Scrapy in this process: the reactor guard, the CrawlerProcess, the collection crawl.

Twisted's reactor runs once per process: :func:`crawl_sources` refuses a second crawl with a
:class:`~monitor.collect.crawl.CrawlError` (callers that crawl repeatedly spawn
``python -m monitor crawl``). :func:`crawler_process` keeps Scrapy from taking over this
process's logging.

Importing this module is cheap: Scrapy and the spider load when they are used, so ``monitor
crawl`` has recorded its run (and picked its sources) before it spends time on them.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from spiders.settings import scrapy_settings

if TYPE_CHECKING:
    from scrapy.crawler import CrawlerProcess

    from monitor.collect.collector import Collector
    from monitor.collect.records import SourceJob
    from monitor.config import CrawlSettings


def reactor_used() -> bool:
    """Whether this process has run Twisted's reactor already (it cannot run twice)."""
    reactor = sys.modules.get("twisted.internet.reactor")
    return reactor is not None and bool(getattr(reactor, "_startedBefore", False))


def crawler_process(settings: dict[str, Any]) -> CrawlerProcess:
    """A CrawlerProcess that leaves the root handler and every logger's level alone (Scrapy's
    logging set-up resets the levels of existing loggers below the ones it configures)."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess({**settings, "LOG_INSTALL_ROOT_HANDLER": False})
    for logger, level in levels:
        logger.setLevel(level)
    return process


def crawl_sources(
    collector: Collector, jobs: Sequence[SourceJob], crawl: CrawlSettings, *, fulltext: bool
) -> None:
    """Crawl ``jobs`` with the collection spider in this process, until every source is done
    (the :class:`~monitor.collect.crawl.CrawlEngine` that ``monitor crawl`` uses)."""
    from monitor.collect.crawl import CrawlError
    from spiders.collect import CollectSpider

    if reactor_used():
        raise CrawlError(
            "crawl: this process has crawled once already; run `python -m monitor crawl`"
        )
    process = crawler_process(scrapy_settings(crawl))
    process.crawl(
        CollectSpider,
        collector=collector,
        jobs=list(jobs),
        fulltext=fulltext,
        fulltext_min_chars=crawl.fulltext_min_chars,
        max_items=crawl.max_items_per_source,
        timeout_s=crawl.download_timeout_s,
        max_body_bytes=crawl.max_body_bytes,
        extract_workers=crawl.extract_workers,
    )
    with frozen_heap():
        process.start(stop_after_crawl=True, install_signal_handlers=True)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep what exists before the crawl (modules, configuration, the topic and its matchers:
    hundreds of thousands of objects that live as long as the process) out of the garbage
    collector's full passes while the crawl runs, so that each pass looks at the crawl's own
    objects only; they are handed back to it afterwards."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def preload() -> None:
    """Import Scrapy and the collection spider now, without starting Twisted's reactor, so that
    processes forked from this one to crawl (``monitor worker``) start at once."""
    import scrapy.crawler  # noqa: F401

    import spiders.collect  # noqa: F401

    assert not reactor_used(), "the reactor must not run in a process that forks crawls"
