"""Which network addresses the crawler may contact: public ones, and those the operator allows.

A hostile feed must not make the monitor read the machine's own or its network's services (a
link, a redirect or a meta refresh to ``http://127.0.0.1:6379/``, ``http://169.254.169.254/`` or
``http://intranet.local/``). Refused unless ``crawl.allow_networks`` holds them:

- IPv4: unspecified (``0.0.0.0/8``), loopback (``127.0.0.0/8``), private (RFC 1918), shared
  address space (CGNAT, ``100.64.0.0/10``), link-local (``169.254.0.0/16``, cloud metadata),
  multicast, reserved, documentation and benchmark ranges, broadcast — everything that is not
  globally routable;
- IPv6: the same kinds (``::``, ``::1``, ``fc00::/7``, ``fe80::/10``, ``ff00::/8``, …), and
  every IPv6 form that carries an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible
  ``::a.b.c.d``, IPv4-translated ``::ffff:0:a.b.c.d``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``)
  is judged by that IPv4 address;
- host names that are loopback by definition (``localhost``, ``*.localhost``) and the cloud
  metadata name ``metadata.google.internal``, before any DNS lookup.

A host written as an address is read the way the C library reads it (``inet_aton``): ``127.1``,
``2130706433``, ``0x7f.0.0.1`` and ``0177.0.0.1`` are all 127.0.0.1.

This module decides; :mod:`spiders.netguard` applies the decision to the addresses a crawl
actually connects to, and ``monitor sources add`` / ``import-opml`` to a URL before it is stored.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_SETTING = "crawl.allow_networks"
ALLOW_VARIABLE = "MONITOR_ALLOW_NETWORKS"
FETCHED_SCHEMES = ("http", "https")

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
# an IPv4 address in any spelling inet_aton accepts: one to four parts, decimal, octal or hex
_INET_ATON = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)
# names that mean a non-public address wherever they are looked up
_NAMED = {
    "localhost": ipaddress.IPv4Address("127.0.0.1"),
    "metadata.google.internal": ipaddress.IPv4Address("169.254.169.254"),
}

Resolve = Callable[[str, int], Sequence[str]]


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (``127.0.0.1/32``, ``10.0.0.0/8``, ``fd00::/8``; a bare address is one host).
    Raises ``ValueError`` naming the first bad one."""
    out: list[Network] = []
    for value in values:
        text = value.strip()
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(
                f"{value!r} is not a network in CIDR notation (e.g. 10.0.0.0/8, 127.0.0.1/32)"
            ) from None
    return tuple(out)


def split_networks(text: str) -> list[str]:
    """``MONITOR_ALLOW_NETWORKS``: comma-separated CIDRs (spaces allowed, empty parts skipped)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, translated, 6to4, NAT64)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _TRANSLATED or any(address in net for net in _NAT64):
        return low32
    if address in _COMPATIBLE and int(address) > 1:  # not :: or ::1
        return low32
    return None


def _kind(address: IPAddress) -> str | None:
    """Why ``address`` is not public, or ``None`` when it is."""
    if address.is_unspecified or (
        isinstance(address, ipaddress.IPv4Address) and address in ipaddress.IPv4Network("0.0.0.0/8")
    ):
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (cloud metadata lives here)"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a shared (CGNAT) address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def address_problem(address: str | IPAddress, allow: Sequence[Network] = ()) -> str | None:
    """Why the crawler must not connect to ``address`` (``"127.0.0.1 is a loopback address"``),
    or ``None`` when it may: a public address, or one inside ``allow``."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address.split("%", 1)[0])  # no IPv6 zone
    if _allowed(address, allow):
        return None
    inner = embedded_ipv4(address)
    if inner is not None:
        if _allowed(inner, allow):
            return None
        kind = _kind(inner)
        return None if kind is None else f"{address} (IPv4 {inner}) is {kind}"
    kind = _kind(address)
    return None if kind is None else f"{address} is {kind}"


def _allowed(address: IPAddress, allow: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in allow)


def host_address(host: str) -> IPAddress | None:
    """The address a host name stands for without a DNS lookup: an address literal in any
    spelling (``[::1]``, ``127.1``, ``0x7f000001``; a trailing dot is ignored), or a name that is
    one by definition (``localhost``); ``None`` for other names."""
    name = host.strip().lower().removesuffix(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if ":" in name:
        try:
            return ipaddress.IPv6Address(name.split("%", 1)[0])
        except ValueError:
            return None
    if _INET_ATON.fullmatch(name):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    if name in _NAMED:
        return _NAMED[name]
    if name.endswith(".localhost"):
        return _NAMED["localhost"]
    return None


def host_problem(host: str, allow: Sequence[Network] = ()) -> str | None:
    """:func:`address_problem` for a host whose address is known without DNS (else ``None``)."""
    address = host_address(host)
    if address is None:
        return None
    problem = address_problem(address, allow)
    if problem is None:
        return None
    shown = host.strip().strip("[]")
    try:
        same = ipaddress.ip_address(shown) == address
    except ValueError:
        same = False
    return problem if same else f"{shown} = {problem}"


def scheme_problem(url: str) -> str | None:
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme in FETCHED_SCHEMES:
        return None
    return f"only http and https URLs are fetched, not {scheme or 'a URL without a scheme'}"


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def url_refusal(
    url: str, allow: Sequence[Network] = (), *, resolve: Resolve | None = _system_resolve
) -> str | None:
    """The one line that says why ``url`` must not be fetched — its scheme, its host's address,
    or (with ``resolve``) an address its host name resolves to now — or ``None``. A name that
    does not resolve is not refused here: the fetch says so, and a crawl checks every address
    it connects to anyway."""
    problem = scheme_problem(url)
    if problem is not None:
        return f"refused {url}: {problem}"
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        return f"refused {url}: not a valid URL ({exc})"
    if not host:
        return f"refused {url}: the URL has no host"
    problem = host_problem(host, allow)
    if problem is None and resolve is not None and host_address(host) is None:
        problem = _resolved_problem(host, port or _default_port(parts.scheme), allow, resolve)
    return None if problem is None else refusal(url, problem)


def _default_port(scheme: str) -> int:
    return 443 if scheme.lower() == "https" else 80


def _resolved_problem(
    host: str, port: int, allow: Sequence[Network], resolve: Resolve
) -> str | None:
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        return None
    for address in addresses:
        problem = address_problem(address, allow)
        if problem is not None:
            return f"{host} resolves to {problem}"
    return None


def refusal(url: str, problem: str) -> str:
    """The one line shown when ``url`` is refused for an address ``problem``."""
    return (
        f"refused {url}: {problem}; only public addresses are fetched unless "
        f"{ALLOW_SETTING} ({ALLOW_VARIABLE}) allows the network"
    )
