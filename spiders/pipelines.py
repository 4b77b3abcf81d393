"""Item pipeline: hand each collected entry to the run's batch writer, which stores small batches
(each item with its judge/fold stages; one transaction per batch, see
:mod:`monitor.collect.batches`).

A batch is written when full, when its oldest item has waited a moment (checked every
``FLUSH_EVERY_S``) and when the spider closes — also on a graceful stop (SIGTERM). The pipeline
uses the run's :class:`~monitor.collect.collector.Collector`, which the spider carries (Scrapy
copies settings, so live objects cannot travel through them).
"""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall

from monitor.collect.collector import Collector
from monitor.collect.records import CollectedItem

FLUSH_EVERY_S = 0.5


class StorePipeline:
    def __init__(self, crawler: Crawler | None = None, collector: Collector | None = None) -> None:
        self.crawler = crawler
        self.collector = collector
        self._ticker: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        if self.collector is None and self.crawler is not None:
            self.collector = getattr(self.crawler.spider, "collector", None)
        if self.collector is None:
            raise NotConfigured("StorePipeline needs a spider with a collector")
        self._ticker = LoopingCall(self.collector.flush, stale_only=True)
        self._ticker.start(FLUSH_EVERY_S, now=False)

    def close_spider(self) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        if self.collector is not None:
            self.collector.flush()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, CollectedItem) or self.collector is None:
            return item
        self.collector.submit(item)  # its source stays open until the item's batch is stored
        return item
