"""Item pipeline: store each collected entry (and run the judge/fold stages) in one transaction.

The pipeline uses the run's :class:`~monitor.collect.collector.Collector`, which the spider
carries (Scrapy copies settings, so live objects cannot travel through them).
"""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.collect.collector import Collector
from monitor.collect.records import CollectedItem


class StorePipeline:
    def __init__(self, crawler: Crawler | None = None, collector: Collector | None = None) -> None:
        self.crawler = crawler
        self.collector = collector

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        if self.collector is None and self.crawler is not None:
            self.collector = getattr(self.crawler.spider, "collector", None)
        if self.collector is None:
            raise NotConfigured("StorePipeline needs a spider with a collector")

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, CollectedItem) or self.collector is None:
            return item
        try:
            self.collector.store(item)
        finally:
            self.collector.end(item.source_id)
        return item
