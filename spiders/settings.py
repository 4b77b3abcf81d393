"""The one place that speaks Scrapy's setting names: :class:`CrawlSettings` → Scrapy settings.

HTTP hygiene, all from ``monitor.yaml`` ``crawl:``: a User-Agent naming the project and a contact
URL; robots.txt obeyed (:mod:`spiders.robots`: read before any other request to a host); global
and per-domain concurrency; AutoThrottle; a download delay; a body size cap (``max_body_bytes``,
enforced while streaming and again after gzip/deflate/brotli decompression; a warning at half of
it); timeouts; retries with exponential back-off (429 is not retried in the run: its
``Retry-After`` is honoured at the source level); at most 5 redirects.

Network guard, always on (:mod:`spiders.netguard`): only http and https (Scrapy's file, data,
ftp and s3 handlers are switched off), and no connection to a non-public address outside
``crawl.allow_networks`` — checked on every request and on every address a name resolves to.
"""

from __future__ import annotations

from typing import Any

from monitor.config import CrawlSettings

MIDDLEWARE_PREFIX = "spiders.middlewares"
# Scrapy's robots.txt middleware out, spiders.robots in its place (crawls and discovery fetches)
ROBOTS_MIDDLEWARES: dict[str, int | None] = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.robots.RobotsMiddleware": 100,
}
# every fetch, bare or not: the address guard before robots.txt; a refused lookup named before
# the retry middleware (550) could retry it
GUARD_MIDDLEWARES: dict[str, int | None] = {
    "spiders.netguard.AddressGuardMiddleware": 50,
    "spiders.netguard.RefusedLookupMiddleware": 560,
}


def scrapy_settings(crawl: CrawlSettings, *, bare: bool = False) -> dict[str, Any]:
    """Scrapy settings for a crawl. ``bare=True`` leaves out our pipeline and middlewares (the
    benchmark's baseline uses the same HTTP settings without them)."""
    settings: dict[str, Any] = {
        "USER_AGENT": crawl.resolved_user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": crawl.download_delay_s,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay_s, 0.5),
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrent_requests_per_domain),
        "DOWNLOAD_TIMEOUT": crawl.download_timeout_s,
        "DOWNLOAD_MAXSIZE": crawl.max_body_bytes,
        "DOWNLOAD_WARNSIZE": crawl.max_body_bytes // 2,
        "RETRY_ENABLED": crawl.retries > 0,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
        "RETRY_GIVE_UP_LOG_LEVEL": "INFO",
        "REDIRECT_MAX_TIMES": 5,
        "COMPRESSION_ENABLED": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_ENABLED": True,
        "LOG_LEVEL": "WARNING",
        "STATS_DUMP": False,
        "LOGSTATS_INTERVAL": 0,
        "MEMUSAGE_ENABLED": False,
        "DNS_TIMEOUT": min(crawl.download_timeout_s, 20),
        "TWISTED_DNS_RESOLVER": "spiders.netguard.GuardedResolver",
        "MONITOR_ALLOW_NETWORKS": list(crawl.allow_networks),
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
        "DOWNLOADER_MIDDLEWARES": dict(GUARD_MIDDLEWARES),
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
            "text/xml;q=0.9, text/html;q=0.8, */*;q=0.5",
            "Accept-Language": "en, ru, fa;q=0.9, *;q=0.5",
        },
    }
    if bare:
        return settings
    settings["DOWNLOADER_MIDDLEWARES"] = {
        **GUARD_MIDDLEWARES,
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        f"{MIDDLEWARE_PREFIX}.BackoffRetryMiddleware": 550,
        **ROBOTS_MIDDLEWARES,
    }
    settings["RETRY_BACKOFF_BASE"] = crawl.retry_backoff_s
    settings["ITEM_PIPELINES"] = {"spiders.pipelines.StorePipeline": 300}
    settings["CONCURRENT_ITEMS"] = 1
    return settings
