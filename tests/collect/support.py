"""Helpers for collection tests: a temporary config directory and ``monitor`` child processes.

Twisted's reactor runs once per process, so every crawl runs as ``python -m monitor crawl`` in a
child process against a real SQLite file and the local test news site.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from monitor.config import SourceConfig
from monitor.paths import shipped_config_dir

FAST_CRAWL = {
    "autothrottle": False,
    "concurrent_requests_per_domain": 8,
    "download_timeout_s": 3,
    "retries": 1,
    "retry_backoff_s": 0.1,
    "max_body_bytes": 300_000,
    "contact_url": "https://example.org/monitor-tests",
    # the local test news site runs on loopback, which the network guard refuses unless allowed
    "allow_networks": ["127.0.0.0/8"],
}


def write_config(tmp_path: Path, sources: list[SourceConfig], **crawl: Any) -> Path:
    """A config dir with a SQLite archive in ``tmp_path`` and the given sources."""
    cdir = tmp_path / "config"
    cdir.mkdir()
    shutil.copytree(shipped_config_dir() / "topics", cdir / "topics")
    settings = {
        "database_url": f"sqlite:///{tmp_path / 'archive.db'}",
        "data_dir": str(tmp_path / "data"),
        "outbox_dir": str(tmp_path / "outbox"),
        "crawl": {**FAST_CRAWL, **crawl},
    }
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    data = {"sources": [s.model_dump(mode="json", exclude_none=True) for s in sources]}
    (cdir / "sources.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return cdir


def run_monitor(
    config_dir: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["NO_PROXY"] = "*"
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def crawl_json(config_dir: Path, *args: str, expect_rc: int = 0) -> dict[str, Any]:
    proc = run_monitor(config_dir, "crawl", "--json", *args)
    assert proc.returncode == expect_rc, proc.stderr[-3000:]
    summary: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return summary


def by_name(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in summary["sources"]}
