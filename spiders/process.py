"""Creating Scrapy's CrawlerProcess without letting it take over this process's logging."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import CrawlerProcess

_OWN_LEVELS = ("scrapy", "twisted", "py.warnings")


def crawler_process(settings: dict[str, Any]) -> CrawlerProcess:
    """A CrawlerProcess that leaves the root handler and our logger levels alone."""
    levels = {name: logging.getLogger(name).level for name in _OWN_LEVELS}
    process = CrawlerProcess({**settings, "LOG_INSTALL_ROOT_HANDLER": False})
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    return process
