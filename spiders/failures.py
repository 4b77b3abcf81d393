"""A failed download (Scrapy/Twisted failure) → a message for the operator, the HTTP status and a
``Retry-After`` time (429/503), so the failure can be recorded against its source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from scrapy import Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from monitor.collect.polling import parse_retry_after
from spiders.netguard import AddressRefused


@dataclass(frozen=True, slots=True)
class FetchFailure:
    message: str
    http_status: int | None = None  # set when the server answered (an HTTP error status)
    retry_after_until: datetime | None = None


def describe_failure(failure: Failure, timeout_s: float, max_bytes: int = 0) -> FetchFailure:
    """What went wrong with a download, in the operator's words."""
    exc = failure.value
    if isinstance(exc, AddressRefused):  # the network guard: its message says it all
        return FetchFailure(f"fetch: {exc}")
    if isinstance(exc, HttpError):
        resp = exc.response
        reason = f"HTTP {resp.status}"
        retry_after = None
        if resp.status in (429, 503):
            retry_after = parse_retry_after(resp.headers.get(b"Retry-After"), now=datetime.now(UTC))
            if resp.status == 429:
                reason += " Too Many Requests"
            if retry_after is not None:
                reason += f"; retry after {retry_after.isoformat(timespec='seconds')}"
        return FetchFailure(f"fetch: {resp.url}: {reason}", resp.status, retry_after)
    name = type(exc).__name__.lower()
    if isinstance(exc, TimeoutError | TCPTimedOutError) or "timeout" in name:
        return FetchFailure(f"fetch: timed out after {timeout_s:g} s")
    if isinstance(exc, DNSLookupError) or "dnslookup" in name or "cannotresolvehost" in name:
        return FetchFailure("fetch: DNS lookup failed; check the host name")
    if isinstance(exc, ConnectionRefusedError) or "connectionrefused" in name:
        return FetchFailure("fetch: connection refused")
    text = str(exc) or type(exc).__name__
    if "dataloss" in name:
        return FetchFailure(
            "fetch: the server closed the connection before the whole response arrived "
            "(the body is shorter than its Content-Length)"
        )
    if "downloadcancelled" in name:
        # Scrapy cancels a download whose body passes DOWNLOAD_MAXSIZE while streaming
        return FetchFailure(
            f"fetch: response body over the size limit ({max_bytes} bytes), download aborted"
        )
    if "max redirections" in text.lower() or "redirect" in text.lower():
        return FetchFailure("fetch: too many redirects (redirect loop?)")
    if text.startswith("robots.txt could not be read"):  # spiders.robots: 429, 5xx, no answer
        return FetchFailure(f"fetch: {text[:200]}; nothing is fetched from this host until it can")
    if "robots.txt" in text.lower() or "forbidden by robots" in text.lower():
        return FetchFailure("fetch: forbidden by robots.txt")
    if (
        "DOWNLOAD_MAXSIZE" in text
        or "maxsize" in text.lower()
        or "larger than download max size" in text
    ):
        return FetchFailure(f"fetch: response body over the size limit, aborted ({text[:200]})")
    if text == type(exc).__name__:  # an exception without a message: its name says it all
        return FetchFailure(f"fetch: {text}")
    return FetchFailure(f"fetch: {type(exc).__name__}: {text[:300]}")


def request_of(failure: Failure) -> Request:
    """The request an errback's failure belongs to."""
    request = getattr(failure, "request", None)
    if request is None:  # Scrapy always sets it for errbacks; be loud if that changes
        raise RuntimeError("errback failure without a request")
    return request  # type: ignore[no-any-return]
