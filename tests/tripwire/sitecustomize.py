"""A network tripwire and test host names, in the test process and in every Python child.

``tests/conftest.py`` installs this module in the test process and puts this folder first on
``PYTHONPATH``, so every Python process a test starts (``python -m monitor crawl``, the demo, the
daemon) loads it as ``sitecustomize`` and installs it too.

- **Tripwire** (``NETGUARD_TRIPWIRE_LOG``): a connection to an address that is not loopback is not
  made. It is written to that file and refused with ``PermissionError``; ``tests/conftest.py``
  fails the test that made it. A broken network guard thus fails its test instead of reaching a
  real network.
- **Test host names** (``NETGUARD_TEST_HOSTS``, JSON: name → list of answers, each a list of
  addresses): ``socket.getaddrinfo`` answers those names itself, the n-th lookup of a name with
  its n-th answer (the last one repeats) — a DNS server whose answers a test chooses, including
  one that changes between two lookups (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from collections.abc import Callable
from typing import Any

LOG_VARIABLE = "NETGUARD_TRIPWIRE_LOG"
HOSTS_VARIABLE = "NETGUARD_TEST_HOSTS"

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_lookups: dict[str, int] = {}


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        try:  # a name: every address it stands for must be loopback
            infos = _real_getaddrinfo(host, None)
        except OSError:
            return True  # no address, no connection
        return all(_is_loopback(str(info[4][0])) for info in infos)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _tripped(sock: socket.socket, address: Any) -> str | None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return None
    host = str(address[0])
    if _is_loopback(host):
        return None
    return f"pid {os.getpid()} connect to {host} port {address[1]}"


def _record(line: str) -> None:
    path = os.environ.get(LOG_VARIABLE)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(line + "\n")


def _guarded(real: Callable[..., Any]) -> Callable[..., Any]:
    def connect(sock: socket.socket, address: Any) -> Any:
        hit = _tripped(sock, address)
        if hit is not None:
            _record(hit)
            raise PermissionError(f"tripwire: the test suite does not leave loopback ({hit})")
        return real(sock, address)

    return connect


def _test_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    table = json.loads(os.environ.get(HOSTS_VARIABLE) or "{}")
    name = host.decode() if isinstance(host, bytes) else host
    answers = table.get(name) if isinstance(name, str) else None
    if not answers:
        return _real_getaddrinfo(host, port, *args, **kwargs)
    turn = _lookups.get(name, 0)
    _lookups[name] = turn + 1
    out: list[Any] = []
    for address in answers[min(turn, len(answers) - 1)]:
        out.extend(_real_getaddrinfo(address, port, *args, **kwargs))
    return out


def install() -> None:
    """Patch this process's sockets (once)."""
    if getattr(socket.socket.connect, "__tripwire__", False):
        return
    connect, connect_ex = _guarded(_real_connect), _guarded(_real_connect_ex)
    connect.__tripwire__ = True  # type: ignore[attr-defined]
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _test_getaddrinfo


if os.environ.get(LOG_VARIABLE):
    install()
