"""Creating Scrapy's CrawlerProcess without letting it take over this process's logging."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import CrawlerProcess


def crawler_process(settings: dict[str, Any]) -> CrawlerProcess:
    """A CrawlerProcess that leaves the root handler and every logger's level alone (Scrapy's
    logging set-up resets the levels of existing loggers below the ones it configures)."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    process = CrawlerProcess({**settings, "LOG_INSTALL_ROOT_HANDLER": False})
    for logger, level in levels:
        logger.setLevel(level)
    return process
