from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from monitor.db.engine import Database
from tests.archive.seed import Seeded, seed_archive
from tests.archive.webapp import make_app


@pytest.fixture
def seeded(db: Database, tmp_path: Path) -> Seeded:
    """The three-language test archive in the ``db`` fixture's database (SQLite and PostgreSQL)."""
    return seed_archive(db, tmp_path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    db = Database.open(f"sqlite:///{tmp_path / 'archive.db'}")
    seeded = seed_archive(db, tmp_path)
    port = _free_port()
    config = uvicorn.Config(
        make_app(db, tmp_path), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", seeded
    finally:
        srv.should_exit = True
        thread.join(10)
        db.close()
