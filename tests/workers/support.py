"""Processes for the scale-out tests: ``monitor run`` and ``monitor worker`` with a shared archive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from monitor.config import QueueSettings, load_config
from monitor.db.engine import Database
from monitor.db.sources import seed_sources_if_empty
from monitor.newsite import NewsSite, Outlet, generate_outlets

ROOT = Path(__file__).resolve().parents[2]
# loopback crawling is allowed explicitly (harmless where no network guard exists)
ENV = {**os.environ, "MONITOR_ALLOW_NETWORKS": "127.0.0.0/8", "PYTHONUNBUFFERED": "1"}


def feed_outlets(n: int, items: int, seed: int = 7) -> list[Outlet]:
    """``n`` generated outlets that offer an RSS feed."""
    return [o for o in generate_outlets(n * 6, items, seed=seed) if o.offers("rss")][:n]


def write_config(
    cdir: Path,
    tmp: Path,
    site: NewsSite,
    database_url: str,
    queue: QueueSettings,
    **queue_overrides: Any,
) -> Database:
    """monitor.yaml + sources.yaml (one RSS source per outlet); the archive with its sources."""
    cdir.mkdir(parents=True, exist_ok=True)
    settings = {
        "database_url": database_url,
        "data_dir": str(tmp / "data"),
        "outbox_dir": str(tmp / "outbox"),
        "topic": str(ROOT / "config" / "topics" / "iran-russia.yaml"),
        "crawl": {
            "obey_robots_txt": False,
            "autothrottle": False,
            "retries": 0,
            "download_timeout_s": 20,
            "fetch_fulltext": False,
            "concurrent_requests_per_domain": 8,
        },
        "queue": {**queue.model_dump(), **queue_overrides},
    }
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), "utf-8")
    sources = [
        s.model_dump(mode="json", exclude_none=True) for s in site.source_configs(kinds=["rss"])
    ]
    (cdir / "sources.yaml").write_text(
        yaml.safe_dump({"sources": sources}, allow_unicode=True), "utf-8"
    )
    db = Database.open(database_url)
    with db.session() as session:
        seed_sources_if_empty(session, load_config(cdir).sources)
    return db


class Proc:
    """``python -m monitor --config DIR -v ARGS…`` with its output in a log file."""

    def __init__(self, cdir: Path, log_path: Path, *args: str) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(cdir), "-v", *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=str(cdir.parent),
            env=ENV,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        self._log.close()


def wait_for(check: Callable[[], Any], timeout: float, what: str, *procs: Proc) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.log_path.name}\n{p.log_text()[-3000:]}" for p in procs)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")


def parent_pid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie waiting for its (dead) parent's reaper counts as gone
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
