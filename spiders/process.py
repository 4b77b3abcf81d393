"""Starting Scrapy in this process: the reactor guard, the CrawlerProcess, the collection crawl.

Twisted's reactor runs once per process: :func:`crawl_sources` refuses a second crawl with a
:class:`~monitor.collect.crawl.CrawlError` (callers that crawl repeatedly spawn
``python -m monitor crawl``, or keep the reactor running between crawls with
:class:`ReactorCrawls`, as a ``monitor worker``'s crawl process does). :func:`crawler_process`
keeps Scrapy from taking over this process's logging.

Importing this module is cheap: Scrapy and the spider load when they are used, so ``monitor
crawl`` has recorded its run (and picked its sources) before it spends time on them.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from spiders.settings import scrapy_settings

if TYPE_CHECKING:
    from scrapy.crawler import CrawlerProcess

    from monitor.collect.collector import Collector
    from monitor.collect.crawl import CrawlEngine
    from monitor.collect.records import SourceJob
    from monitor.config import CrawlSettings

log = logging.getLogger(__name__)


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
    process.crawl(CollectSpider, **_spider_arguments(collector, jobs, crawl, fulltext))
    with frozen_heap():
        process.start(stop_after_crawl=True, install_signal_handlers=True)


def _spider_arguments(
    collector: Collector, jobs: Sequence[SourceJob], crawl: CrawlSettings, fulltext: bool
) -> dict[str, Any]:
    return {
        "collector": collector,
        "jobs": list(jobs),
        "fulltext": fulltext,
        "fulltext_min_chars": crawl.fulltext_min_chars,
        "max_items": crawl.max_items_per_source,
        "timeout_s": crawl.download_timeout_s,
        "max_body_bytes": crawl.max_body_bytes,
        "extract_workers": crawl.extract_workers,
    }


class ReactorCrawls:
    """Crawl after crawl in one process, the reactor running in between (a ``monitor worker``'s
    crawl process): what the process loaded — Scrapy, the topic, the fold window — serves every
    crawl, and a crawl starts without starting a process.

    :meth:`serve` runs the reactor in this (the main) thread and ``serve(engine)`` in a thread of
    its own; ``engine`` is a :class:`~monitor.collect.crawl.CrawlEngine` that crawls in the
    reactor and returns when the crawl is over, to be called from that thread only. SIGTERM stops
    the crawl under way as Scrapy stops a spider on shutdown (its sources not reached are
    ``skipped``); ``serve`` records its outcome and returns, then the reactor stops. The Scrapy
    settings are those of ``crawl`` for every crawl.
    """

    def __init__(self, crawl: CrawlSettings) -> None:
        from scrapy.utils.reactor import install_reactor

        self.settings = crawl
        self.process = crawler_process(scrapy_settings(crawl))
        install_reactor(self.process.settings["TWISTED_REACTOR"])
        self.failure: BaseException | None = None

    def crawl(
        self,
        collector: Collector,
        jobs: Sequence[SourceJob],
        crawl: CrawlSettings,
        *,
        fulltext: bool,
    ) -> None:
        """The :class:`~monitor.collect.crawl.CrawlEngine`: one crawl in the running reactor."""
        from twisted.internet import reactor
        from twisted.internet.threads import blockingCallFromThread

        from spiders.collect import CollectSpider

        arguments = _spider_arguments(collector, jobs, crawl, fulltext)

        def start() -> Any:
            return self.process.crawl(CollectSpider, **arguments)

        blockingCallFromThread(reactor, start)

    def serve(
        self, serve: Callable[[CrawlEngine, threading.Event], None], *, finish_s: float = 60.0
    ) -> None:
        """Run the reactor until ``serve(engine, stopping)`` returns; re-raises what ``serve``
        raised. SIGTERM sets ``stopping`` and stops the crawl under way (Scrapy closes its
        spider): ``serve`` then records that crawl's outcome and returns; past ``finish_s`` the
        reactor stops anyway."""
        from twisted.internet import reactor

        stopping = threading.Event()

        def in_thread() -> None:
            try:
                serve(self.crawl, stopping)
            except BaseException as exc:
                self.failure = exc
                log.exception("Crawl process failed")
            finally:
                reactor.callFromThread(_stop_reactor)

        def on_sigterm() -> None:  # in the reactor
            if stopping.is_set():
                return
            stopping.set()
            self.process.stop()
            reactor.callLater(finish_s, _stop_reactor)  # type: ignore[arg-type]

        thread = threading.Thread(target=in_thread, name="monitor-crawls", daemon=True)
        reactor.callWhenRunning(_on_sigterm, on_sigterm)
        reactor.callWhenRunning(thread.start)
        gc.collect()
        gc.freeze()  # what lives as long as the process stays out of full passes (frozen_heap)
        try:
            self.process.start(stop_after_crawl=False, install_signal_handlers=False)
        finally:
            stopping.set()
        thread.join(finish_s)
        if self.failure is not None:
            raise self.failure


def _on_sigterm(handler: Callable[[], None]) -> None:
    """In the running reactor: ``handler`` runs in it on SIGTERM. Through the event loop's own
    signal handling, which wakes the loop whichever thread the signal interrupted (a plain
    handler would wait for the loop's next wake-up to run)."""
    import asyncio

    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, handler)
    except RuntimeError:  # not the asyncio reactor: Twisted's own wake-up on signals
        from twisted.internet import reactor

        signal.signal(signal.SIGTERM, lambda *_: reactor.callFromThread(handler))


def _stop_reactor() -> None:
    """Stop the reactor (Scrapy stops its crawls first), unless it is stopping already."""
    from twisted.internet import reactor

    with suppress(RuntimeError):  # stopped or stopping already
        reactor.stop()  # type: ignore[misc]


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
