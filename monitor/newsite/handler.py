"""The request handler: routing, conditional GET and the fault modes of :mod:`.faults`."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from monitor.newsite.faults import ENTITY_BOMB, Fault, break_xml, oversize_chunks

if TYPE_CHECKING:
    from monitor.newsite.server import NewsSite

log = logging.getLogger(__name__)

_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class NewsHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NewsSite/1.0"
    sys_version = ""
    timeout = 30  # idle keep-alive connections end after this
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    @property
    def site(self) -> NewsSite:
        return self.server.site  # type: ignore[attr-defined,no-any-return]

    def setup(self) -> None:
        super().setup()
        self.site.track(self.connection, active=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.site.track(self.connection, active=False)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("News site request %s", format % args)

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    # ------------------------------------------------------------------ plumbing

    def _handle(self, *, head: bool) -> None:
        split = urlsplit(self.path)
        self._path, self._query = split.path or "/", split.query
        self._fault = self.site.take_fault(self._path)
        self._head = head
        self._recorded = False
        try:
            self._respond(self._path, self._query, self._fault)
        except _CLIENT_GONE:
            self.close_connection = True
        finally:
            self._record(0, {})

    def _record(self, status: int, response_headers: dict[str, str]) -> None:
        """Log the request once, before its response goes out (so clients see it logged)."""
        if self._recorded:
            return
        self._recorded = True
        from monitor.newsite.server import RequestRecord

        self.site.record(
            RequestRecord(
                method=self.command,
                path=self._path,
                query=self._query,
                host=self.headers.get("Host", ""),
                status=status,
                headers={k.lower(): v for k, v in self.headers.items()},
                response_headers=dict(response_headers),
                fault=self._fault.kind if self._fault else None,
                at=time.time(),
            )
        )

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self._record(status, headers)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        headers = {**headers, "Content-Length": str(len(body))}
        self._start(status, headers)
        if not self._head and body:
            self.wfile.write(body)

    def _send_text(self, status: int, text: str, **extra: str) -> None:
        self._send(status, {"Content-Type": "text/plain; charset=utf-8", **extra}, text.encode())

    def _stream(self, status: int, headers: dict[str, str], chunks: Iterable[bytes]) -> None:
        self.close_connection = True
        self._start(status, {**headers, "Connection": "close"})
        if self._head:
            return
        for chunk in chunks:
            if self.site.stopping.is_set():
                return
            self.wfile.write(chunk)

    # ------------------------------------------------------------------ responses

    def _respond(self, path: str, query: str, fault: Fault | None) -> None:
        site = self.site
        if fault is not None and self._play_fault(path, query, fault):
            return
        resource = site.resolve(path)
        if resource is None:
            self._send_text(404, "404 Not Found\n")
            return
        charset = resource.charset
        body = resource.render(charset).encode(charset, errors="xmlcharrefreplace")
        headers = {"Content-Type": f"{resource.content_type}; charset={charset}"}
        if resource.conditional:
            etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
            assert resource.last_modified is not None
            headers["ETag"] = etag
            headers["Last-Modified"] = format_datetime(resource.last_modified, usegmt=True)
            if self._not_modified(etag, resource.last_modified):
                self._start(304, {k: v for k, v in headers.items() if k != "Content-Type"})
                return
        self._send(200, headers, body)

    def _not_modified(self, etag: str, last_modified: datetime) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims is None:
            return False
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return last_modified <= since

    def _play_fault(self, path: str, query: str, fault: Fault) -> bool:
        """Answer according to ``fault``; False: serve the normal resource after all."""
        kind = fault.kind
        if kind == "not_found":
            self._send_text(404, "404 Not Found\n")
        elif kind == "server_error":
            self._send_text(fault.status or 500, "Internal Server Error\n")
        elif kind == "rate_limited":
            self._send_text(429, "Too Many Requests\n", **{"Retry-After": fault.retry_after})
        elif kind == "slow":
            self.site.stopping.wait(fault.delay_s)
            return False
        elif kind == "timeout":
            self._hang(path, fault)
        elif kind == "redirect_loop":
            target = path if "hop=1" in query else f"{path}?hop=1"
            self._send_text(fault.status or 302, "Found\n", Location=self.site.url(target))
        elif kind == "redirect_other_host":
            return self._redirect_other_host(path, query, fault)
        elif kind == "oversize":
            self._oversize(fault)
        elif kind == "truncated":
            return self._truncated(path)
        elif kind == "entity_bomb":
            body = ENTITY_BOMB.replace("{link}", self.site.base_url + "/").encode()
            self._send(200, {"Content-Type": "application/rss+xml; charset=utf-8"}, body)
        else:
            return self._play_content_fault(path, fault)
        return True

    def _play_content_fault(self, path: str, fault: Fault) -> bool:
        site = self.site
        if fault.kind == "html_instead_of_feed":
            outlet = path.strip("/").split("/")[0]
            resource = site.resolve(f"/{outlet}/") or site.resolve("/")
        else:
            resource = site.resolve(path, empty=fault.kind == "empty_feed")
            if resource is None and fault.kind == "empty_feed":
                first = site.outlets[0].slug
                resource = site.resolve(f"/{first}/rss.xml", empty=True)
        if resource is None:
            return False
        declared: str | None = resource.charset
        actual = resource.charset
        if fault.kind == "wrong_charset":
            declared, actual = fault.declared_charset, fault.actual_charset or "windows-1251"
        elif fault.kind == "missing_charset":
            declared, actual = None, fault.actual_charset or resource.charset
        text = resource.render(declared)
        if fault.kind == "malformed_xml":
            text = break_xml(text)
        body = text.encode(actual, errors="xmlcharrefreplace")
        ctype = resource.content_type + (f"; charset={declared}" if declared else "")
        self._send(200, {"Content-Type": ctype}, body)
        return True

    def _hang(self, path: str, fault: Fault) -> None:
        self.close_connection = True
        if fault.stall_after_headers:
            resource = self.site.resolve(path)
            body = resource.render(resource.charset).encode("utf-8", "replace") if resource else b""
            length = max(len(body), 4096)
            self._start(200, {"Content-Type": "application/xml", "Content-Length": str(length)})
            self.wfile.write(body[:64])
            self.wfile.flush()
        else:
            self._record(0, {})
        self.site.stopping.wait(fault.hang_s)

    def _truncated(self, path: str) -> bool:
        resource = self.site.resolve(path)
        if resource is None:
            return False
        body = resource.render(resource.charset).encode(resource.charset, "xmlcharrefreplace")
        ctype = f"{resource.content_type}; charset={resource.charset}"
        self.close_connection = True
        self._start(200, {"Content-Type": ctype, "Content-Length": str(len(body))})
        if not self._head:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
        return True

    def _redirect_other_host(self, path: str, query: str, fault: Fault) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        default = "localhost" if self.site.host != "localhost" else "127.0.0.1"
        target = fault.target_host or default
        if host == target:
            return False
        location = f"http://{target}:{self.site.port}{path}" + (f"?{query}" if query else "")
        self._send_text(fault.status or 301, "Moved Permanently\n", Location=location)
        return True

    def _oversize(self, fault: Fault) -> None:
        link = self.site.base_url + "/"
        headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
        if fault.gzip:
            body = self.site.gzip_bomb(fault.size_bytes)
            self._send(200, {**headers, "Content-Encoding": "gzip"}, body)
            return
        if fault.declare_length:
            headers["Content-Length"] = str(fault.size_bytes)
        self._stream(200, headers, oversize_chunks(link, fault.size_bytes))
