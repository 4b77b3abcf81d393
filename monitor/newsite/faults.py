"""Fault modes the site can play on any URL path (``site.set_fault(path, Fault(kind=...))``).

=====================  ===========================================================================
kind                   what the client gets
=====================  ===========================================================================
not_found              404
server_error           500 (or ``status``, e.g. 502/503)
slow                   the normal response after ``delay_s`` seconds
timeout                nothing for ``hang_s`` seconds (default 120; ends early at shutdown); with
                       ``stall_after_headers`` the headers and a first chunk come, then the stall
oversize               ``size_bytes`` of valid-looking RSS streamed on the fly (no Content-Length
                       unless ``declare_length``); with ``gzip`` a small gzip body that expands to
                       ``size_bytes`` (``Content-Encoding: gzip``)
redirect_loop          302 path → path?hop=1 → path … for ever
redirect_other_host    301 to the same path on ``target_host`` (default: 127.0.0.1 ↔ localhost);
                       served normally once the request arrives on that host
wrong_charset          body encoded as ``actual_charset`` while header, XML prolog and meta all
                       claim ``declared_charset``
missing_charset        body in ``actual_charset`` (default: the outlet's) with no charset in the
                       header, the XML prolog or a meta tag
malformed_xml          the feed with an unescaped ``&`` and unclosed tag, truncated in its third
                       entry (the first entries stay recoverable)
html_instead_of_feed   the outlet's HTML home page, 200, text/html
empty_feed             a valid feed/sitemap of the path's kind with no entries
entity_bomb            an RSS document with a DTD of nested entity declarations ("billion laughs")
rate_limited           429 with ``Retry-After: retry_after``
truncated              the normal response with its full ``Content-Length``, but only the first
                       half of the body before the connection closes (data loss)
=====================  ===========================================================================

``times`` limits a fault to its first N requests (then the path heals), e.g. for retry tests.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal[
    "not_found",
    "server_error",
    "slow",
    "timeout",
    "oversize",
    "redirect_loop",
    "redirect_other_host",
    "wrong_charset",
    "missing_charset",
    "malformed_xml",
    "html_instead_of_feed",
    "empty_feed",
    "entity_bomb",
    "rate_limited",
    "truncated",
]

FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)


@dataclass(frozen=True)
class Fault:
    """One fault mode with its parameters (only those of its kind are read)."""

    kind: FaultKind
    status: int | None = None  # server_error (500), redirect_loop (302), redirect_other_host (301)
    delay_s: float = 2.0  # slow
    hang_s: float = 120.0  # timeout
    stall_after_headers: bool = False  # timeout
    size_bytes: int = 50_000_000  # oversize
    gzip: bool = False  # oversize: gzip bomb
    declare_length: bool = False  # oversize: send Content-Length
    target_host: str | None = None  # redirect_other_host
    declared_charset: str = "utf-8"  # wrong_charset: what header/prolog claim
    actual_charset: str | None = None  # wrong_/missing_charset: None = windows-1251 / outlet's
    retry_after: str = "120"  # rate_limited: seconds or an HTTP date
    times: int | None = None  # apply to the first N requests only

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"newsite: unknown fault kind {self.kind!r}; use one of {FAULT_KINDS}")


def break_xml(document: str) -> str:
    """A truncated feed: unescaped ``&`` and an unclosed tag in entry 2, cut inside entry 3."""
    for close in ("</item>", "</entry>", "</url>"):
        first = document.find(close)
        if first < 0:
            continue
        second = document.find(close, first + len(close))
        broken = document[:first] + "<b>Q&A with the minister" + document[first:]
        if second < 0:
            return broken[: len(broken) * 3 // 4]
        cut = second + len(close) + len("<b>Q&A with the minister") + 120
        return broken[:cut]
    return document[: len(document) // 2]


ENTITY_BOMB = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0">
  <channel>
    <title>&lol9;</title>
    <link>{link}</link>
    <description>Entity expansion test</description>
    <item>
      <title>&lol9;</title>
      <link>{link}entity-bomb</link>
      <description>&lol9;</description>
    </item>
  </channel>
</rss>
"""

_OVERSIZE_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
    "<title>Endless feed</title><link>{link}</link><description>Very large feed</description>\n"
)
_OVERSIZE_ITEM = (
    "<item><title>Filler entry {n}</title><link>{link}filler/{n}</link>"
    '<guid isPermaLink="false">filler-{n}</guid><description>'
    "Filler text that repeats to make the document very large. " * 8 + "</description></item>\n"
)


def oversize_chunks(link: str, size_bytes: int, chunk_size: int = 64_000) -> Iterator[bytes]:
    """Yield about ``size_bytes`` of RSS (never closed: a client must give up first)."""
    sent = 0
    buf: list[str] = [_OVERSIZE_HEAD.format(link=link)]
    n = 0
    buffered = len(buf[0])
    while sent < size_bytes:
        while buffered < chunk_size:
            piece = _OVERSIZE_ITEM.format(link=link, n=n)
            n += 1
            buf.append(piece)
            buffered += len(piece)
        data = "".join(buf).encode("ascii")
        data = data[: max(0, size_bytes - sent)]
        buf, buffered = [], 0
        sent += len(data)
        yield data


def gzip_bomb(link: str, size_bytes: int) -> bytes:
    """A small gzip member that expands to about ``size_bytes`` of RSS-looking text."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = _OVERSIZE_HEAD.format(link=link) + "<item><title>Filler</title><description>"
    parts = [comp.compress(head.encode("ascii"))]
    block = b"filler " * (1_000_000 // 7)
    remaining = size_bytes - len(head)
    while remaining > 0:
        piece = block[:remaining]
        parts.append(comp.compress(piece))
        remaining -= len(piece)
    parts.append(comp.flush())
    return b"".join(parts)
