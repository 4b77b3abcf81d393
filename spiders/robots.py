"""Downloader middleware: a host's robots.txt is fetched and parsed before any other request to it.

It takes the place of Scrapy's ``RobotsTxtMiddleware``, which lets requests through while a
host's robots.txt is being fetched: its waiters await one shared Deferred turned into an asyncio
future, a conversion that consumes the Deferred's result, so only the first waiter gets the
parser and every later one gets ``None`` ("no rules"). With several sources on one host, the
third and later requests of a crawl were sent without any check. Here every waiter gets its own
Deferred, fired with the parsed rules.

What a robots.txt answer means (RFC 9309, section 2.3.1):

- 2xx (after redirects): its rules apply;
- 4xx other than 429 ("unavailable"): no rules, everything may be fetched;
- 429, 5xx (after retries) or no answer at all ("unreachable"): nothing on that host is fetched in
  this run; each request fails with a message naming the reason, recorded against its source.

A request with ``meta["dont_obey_robotstxt"]`` (the robots.txt request itself) is let through.
When the network guard refuses the robots.txt request (:mod:`spiders.netguard`), every request to
the host is refused the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from spiders.failures import describe_failure
from spiders.netguard import AddressRefused

log = logging.getLogger(__name__)

FORBIDDEN = "Forbidden by robots.txt"
UNREADABLE = "robots.txt could not be read"
ROBOTS_PRIORITY = 1000


@dataclass(frozen=True, slots=True)
class HostRules:
    """What robots.txt says for one host: a parser, no rules (``parser is None``), or — when
    robots.txt could not be read — a reason that forbids every request; ``refused``: the network
    guard's reason, when it refused the host."""

    parser: Any = None
    unreachable: str | None = None
    refused: str | None = None


class RobotsMiddleware:
    """Every request waits until its host's robots.txt has been fetched and parsed."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.default_user_agent: str = settings.get("USER_AGENT") or ""
        self.robots_user_agent: str | None = settings.get("ROBOTSTXT_USER_AGENT")
        self.parser_class = load_object(settings.get("ROBOTSTXT_PARSER"))
        self.rules: dict[str, HostRules] = {}
        self.waiting: dict[str, list[Deferred[HostRules]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return
        url = urlparse_cached(request)
        if url.scheme not in ("http", "https"):
            return
        rules = await self.host_rules(url.scheme, url.netloc)
        if rules.refused is not None:
            raise AddressRefused(request.url, rules.refused)
        if rules.unreachable is not None:
            self._stat("robotstxt/forbidden")
            raise IgnoreRequest(f"{UNREADABLE} ({rules.unreachable})")
        if rules.parser is not None and not rules.parser.allowed(
            request.url, self._user_agent(request)
        ):
            self._stat("robotstxt/forbidden")
            log.debug("Forbidden by robots.txt: %s", request.url)
            raise IgnoreRequest(FORBIDDEN)

    async def host_rules(self, scheme: str, netloc: str) -> HostRules:
        """The rules for ``netloc``: known, or awaited (each waiter on its own Deferred), or
        fetched now by the first request to the host."""
        known = self.rules.get(netloc)
        if known is not None:
            return known
        pending = self.waiting.get(netloc)
        if pending is not None:
            mine: Deferred[HostRules] = Deferred()
            pending.append(mine)
            return await maybe_deferred_to_future(mine)
        self.waiting[netloc] = []
        try:
            rules = await self._fetch(f"{scheme}://{netloc}/robots.txt")
        finally:
            waiters = self.waiting.pop(netloc, [])
        self.rules[netloc] = rules
        for waiter in waiters:
            waiter.callback(rules)
        return rules

    async def _fetch(self, robots_url: str) -> HostRules:
        request = Request(
            robots_url,
            priority=ROBOTS_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        self._stat("robotstxt/request_count")
        engine = self.crawler.engine
        assert engine is not None  # requests flow only while the engine runs
        try:
            response: Response = await engine.download_async(request)
        except AddressRefused as exc:
            return HostRules(refused=exc.problem)
        except IgnoreRequest as exc:  # another middleware refused the robots.txt request
            return HostRules(unreachable=str(exc) or type(exc).__name__)
        except Exception as exc:  # no answer: DNS, refused, timeout, reset
            self._stat(f"robotstxt/exception_count/{type(exc).__name__}")
            log.info("robots.txt %s could not be fetched: %s", robots_url, exc)
            return HostRules(unreachable=self._no_answer(exc))
        self._stat("robotstxt/response_count")
        self._stat(f"robotstxt/response_status_count/{response.status}")
        if response.status == 429 or response.status >= 500:
            return HostRules(unreachable=f"HTTP {response.status}")
        if response.status >= 400:
            return HostRules()
        return HostRules(parser=build_from_crawler(self.parser_class, self.crawler, response.body))

    def _user_agent(self, request: Request) -> str | bytes:
        if self.robots_user_agent:
            return self.robots_user_agent
        header = request.headers.get(b"User-Agent")
        return bytes(header) if header else self.default_user_agent

    def _no_answer(self, exc: Exception) -> str:
        timeout_s = self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 0)
        failure = Failure(exc)  # type: ignore[no-untyped-call]
        return describe_failure(failure, timeout_s).message.removeprefix("fetch: ")

    def _stat(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
