"""A real HTTP receiver on 127.0.0.1 for Apprise's ``json://`` target: scripted answers.

``replies`` is a list of ``(status, hold_s)``: the n-th request waits ``hold_s`` seconds, then gets
``status``; the last entry repeats. Every request is kept (path, headers, parsed JSON body).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    answered: int


@dataclass
class Receiver:
    port: int = 0
    replies: list[tuple[int, float]] = field(default_factory=lambda: [(200, 0.0)])
    requests: list[Received] = field(default_factory=list)
    got: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def accepted(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.answered < 300]


@contextmanager
def http_receiver(replies: list[tuple[int, float]] | None = None) -> Iterator[Receiver]:
    state = Receiver(replies=list(replies or [(200, 0.0)]))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with state.lock:
                index = min(len(state.requests), len(state.replies) - 1)
                status, hold = state.replies[index]
                entry = Received(self.path, dict(self.headers), json.loads(raw or b"{}"), status)
                state.requests.append(entry)
            state.got.set()
            if hold:
                time.sleep(hold)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
