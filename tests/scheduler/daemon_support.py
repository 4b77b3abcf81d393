"""End-to-end support: a config directory for the local news site and a real SMTP server, and a
``monitor run`` daemon started as a real process (stopped with real signals)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.models import CrawlRun, JobRun
from monitor.newsite import NewsSite

ROOT = Path(__file__).resolve().parents[2]


def write_config(
    cdir: Path,
    tmp: Path,
    site: NewsSite,
    smtp_port: int,
    *,
    recipients: list[dict[str, Any]] | None = None,
    crawl: dict[str, Any] | None = None,
    schedule: dict[str, Any] | None = None,
) -> str:
    """Write monitor.yaml + sources.yaml; returns the database URL."""
    cdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{tmp / 'data' / 'archive.db'}"
    settings = {
        "database_url": url,
        "data_dir": str(tmp / "data"),
        "outbox_dir": str(tmp / "outbox"),
        "topic": str(ROOT / "config" / "topics" / "iran-russia.yaml"),
        "crawl": {
            "obey_robots_txt": False,
            "autothrottle": False,
            "retries": 0,
            "download_timeout_s": 15,
            "fetch_fulltext": False,
            "allow_networks": ["127.0.0.0/8"],  # the local news site
            **(crawl or {}),
        },
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "from_address": "monitor@example.org",
            "retry_base_s": 0.05,
            "max_attempts": 2,
            "timeout_s": 10,
        },
        "recipients": recipients or [],
        "schedule": {"misfire_grace_s": 600, **(schedule or {})},
    }
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), "utf-8")
    sources = [s.model_dump(mode="json", exclude_none=True) for s in site.source_configs()]
    (cdir / "sources.yaml").write_text(
        yaml.safe_dump({"sources": sources}, allow_unicode=True), "utf-8"
    )
    return url


def due_minute(ahead_s: float) -> tuple[datetime, str]:
    """A whole-minute due time more than an hour from now, and its ``HH:MM`` (UTC).

    Tests shift the daemon's clock (``--clock-offset-s``) relative to it, so no test waits for
    a real minute boundary."""
    base = datetime.now(UTC) + timedelta(hours=2, seconds=ahead_s)
    due = base.replace(second=0, microsecond=0)
    return due, f"{due:%H:%M}"


def offset_for(fake_now: datetime) -> float:
    return (fake_now - datetime.now(UTC)).total_seconds()


class DaemonProcess:
    """``python -m monitor --config DIR -v run …`` as a real process (``options``: the global
    options before ``run``, ``-v`` unless given)."""

    def __init__(
        self, cdir: Path, log_path: Path, *args: str, options: tuple[str, ...] = ("-v",)
    ) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(cdir), *options, "run", *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=str(cdir.parent),
        )

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        self._log.close()

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")


@contextmanager
def daemon(
    cdir: Path, log_path: Path, *args: str, options: tuple[str, ...] = ("-v",)
) -> Iterator[DaemonProcess]:
    d = DaemonProcess(cdir, log_path, *args, options=options)
    try:
        yield d
    finally:
        d.kill()


def wait_for(
    check: Callable[[], Any], timeout: float, what: str, proc: DaemonProcess | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.proc.poll() is not None:
            raise AssertionError(
                f"daemon exited ({proc.proc.returncode}) waiting for {what}:\n{proc.log_text()[-4000:]}"
            )
        time.sleep(0.2)
    tail = proc.log_text()[-4000:] if proc else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tail}")


def job_runs(db: Database, job_id: str) -> list[JobRun]:
    with db.session() as s:
        return list(s.scalars(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id)))


def crawl_runs(db: Database) -> list[CrawlRun]:
    with db.session() as s:
        return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))
