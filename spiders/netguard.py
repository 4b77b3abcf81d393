"""The network guard of every Scrapy fetch (crawls, ``sources add``, OPML import): no request to
a loopback, private, link-local or otherwise non-public address unless ``crawl.allow_networks``
allows it (:mod:`monitor.netguard` decides).

Two checks, both on every request — first hops, robots.txt, redirects and meta refreshes alike
(a redirect is a new request through the same middlewares and the same resolver):

- :class:`AddressGuardMiddleware` (before robots.txt is read): the scheme is http or https, and a
  host written as an address (``127.1``, ``[::ffff:127.0.0.1]``) or named ``localhost`` is
  allowed;
- :class:`GuardedResolver` (Scrapy's ``TWISTED_DNS_RESOLVER``): every address a host name
  resolves to is checked, and only the allowed ones are handed to the connection, so the address
  checked is the address connected to. A name whose every address is refused fails to connect;
  :class:`RefusedLookupMiddleware` turns that failure into :class:`AddressRefused`, which names
  the address and is not retried.

A refused request reaches its errback like any failed fetch and is recorded against its source.

Through a proxy (``http_proxy``/``https_proxy``) the proxy resolves the site's name: the first
check still applies, the second cannot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.resolver import CachingHostnameResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import (
    IAddress,
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
)
from zope.interface import implementer

from monitor.netguard import (
    Network,
    address_problem,
    host_problem,
    parse_networks,
    refusal,
    scheme_problem,
)

ALLOW_SETTING = "MONITOR_ALLOW_NETWORKS"  # the Scrapy setting: crawl.allow_networks


class AddressRefused(IgnoreRequest):  # type: ignore[misc]
    """A request the guard refused: its message is the one line the operator sees."""

    def __init__(self, url: str, problem: str, *, address: bool = True) -> None:
        self.url = url
        self.problem = problem
        super().__init__(refusal(url, problem) if address else f"refused {url}: {problem}")


def allowed_networks(settings: Any) -> tuple[Network, ...]:
    return parse_networks(settings.getlist(ALLOW_SETTING))


@implementer(IResolutionReceiver)
class _CheckedReceiver:
    """Passes on the allowed addresses of one lookup; remembers why the others were refused."""

    def __init__(self, receiver: IResolutionReceiver, host: str, guard: GuardedResolver) -> None:
        self.receiver: Any = receiver  # a zope interface: mypy cannot see its methods
        self.host = host
        self.guard = guard
        self.passed = 0
        self.problem: str | None = None

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:
        host = address.host if isinstance(address, IPv4Address | IPv6Address) else None
        problem = "not an IP address" if host is None else address_problem(host, self.guard.allow)
        if problem is None:
            self.passed += 1
            self.receiver.addressResolved(address)
        elif self.problem is None:
            self.problem = f"{self.host} resolves to {problem}"

    def resolutionComplete(self) -> None:
        key = self.host.lower().removesuffix(".")
        if self.passed == 0 and self.problem is not None:
            self.guard.refused[key] = self.problem
        else:
            self.guard.refused.pop(key, None)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver:
    """Scrapy's caching resolver (IPv4 and IPv6), handing on only allowed addresses."""

    def __init__(self, reactor: Any, cache_size: int, allow: Sequence[Network]) -> None:
        self.reactor = reactor
        self.inner = CachingHostnameResolver(reactor, cache_size)
        self.allow = tuple(allow)
        self.refused: dict[str, str] = {}  # host → why its every address was refused

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> Self:
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache_size, allowed_networks(settings))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        checked: Any = _CheckedReceiver(resolutionReceiver, hostName, self)
        resolution: IHostResolution = self.inner.resolveHostName(
            checked, hostName, portNumber, addressTypes, transportSemantics
        )
        return resolution


def installed_resolver() -> GuardedResolver | None:
    from twisted.internet import reactor

    resolver = getattr(reactor, "nameResolver", None)
    return resolver if isinstance(resolver, GuardedResolver) else None


class AddressGuardMiddleware:
    """Refuses a request whose scheme is not http(s) or whose host is a refused address."""

    def __init__(self, allow: Sequence[Network]) -> None:
        self.allow = tuple(allow)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(allowed_networks(crawler.settings))

    def process_request(self, request: Request, spider: Any = None) -> None:
        problem = scheme_problem(request.url)
        if problem is not None:
            raise AddressRefused(request.url, problem, address=False)
        host = urlparse_cached(request).hostname or ""
        problem = host_problem(host, self.allow)
        if problem is not None:
            raise AddressRefused(request.url, problem)


class RefusedLookupMiddleware:
    """A lookup that failed because every address was refused → :class:`AddressRefused` (placed
    before the retry middleware, so a refusal is not retried)."""

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        if not isinstance(exception, DNSLookupError | CannotResolveHostError):
            return None
        resolver = installed_resolver()
        host = (urlparse_cached(request).hostname or "").lower().removesuffix(".")
        problem = resolver.refused.get(host) if resolver is not None else None
        if problem is not None:
            raise AddressRefused(request.url, problem)
        return None
