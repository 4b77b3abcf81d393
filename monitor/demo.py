"""``monitor demo``: the whole pipeline on the bundled demo news site, offline, in one command.

1. start the demo news site (English, Russian and Persian outlets) on a free loopback port;
2. write a config directory for it under ``<data_dir>/demo/config`` (its sources, the shipped topic,
   a fresh SQLite archive, one demo recipient);
3. crawl it in a child process (``python -m monitor crawl``; the Twisted reactor runs once per
   process) — feeds, sitemaps, listing pages, full text, relevance, dedup;
4. render the digest page (``--preview``) and the email (``--dry-run``, a ``.eml`` file) into the
   outbox, and return their paths.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from monitor.errors import MonitorError
from monitor.newsite import NewsSite, demo_outlets
from monitor.paths import shipped_config_dir

DEMO_RECIPIENT = "demo"


@dataclass(frozen=True)
class DemoResult:
    site_url: str
    archive: Path
    crawl: dict[str, Any]
    page: Path
    eml: Path
    index: Path | None


def write_demo_config(work_dir: Path, outbox: Path, site: NewsSite) -> Path:
    """A config directory pointing at the running demo site and a fresh archive."""
    cfg_dir = work_dir / "config"
    if cfg_dir.exists():
        shutil.rmtree(cfg_dir)
    shutil.copytree(shipped_config_dir() / "topics", cfg_dir / "topics")
    archive = work_dir / "archive.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{archive}{suffix}").unlink(missing_ok=True)
    settings = {
        "database_url": f"sqlite:///{archive.resolve()}",
        "data_dir": str(work_dir.resolve()),
        "outbox_dir": str(outbox.resolve()),
        "crawl": {
            "contact_url": "https://example.org/monitor-demo",
            "download_timeout_s": 10,
            "retries": 1,
            "autothrottle": False,
            "concurrent_requests_per_domain": 8,
        },
        "recipients": [
            {
                "name": DEMO_RECIPIENT,
                "address": "reader@example.org",
                "schedule": "daily 07:00",
                "timezone": "Europe/Berlin",
                "skip_empty": False,
            }
        ],
    }
    (cfg_dir / "monitor.yaml").write_text(
        yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    configs = site.source_configs()
    # one source per outlet: show the outlet's own name, not "Outlet (RSS)"
    plain = [c.name.rsplit(" (", 1)[0] for c in configs]
    if len(set(plain)) == len(plain):
        configs = [c.model_copy(update={"name": n}) for c, n in zip(configs, plain, strict=True)]
    sources = [c.model_dump(mode="json", exclude_none=True) for c in configs]
    (cfg_dir / "sources.yaml").write_text(
        yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return cfg_dir


def _monitor(cfg_dir: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(cfg_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_demo(
    work_dir: Path, outbox: Path, *, say: Callable[[str], None] = print, keep_serving: bool = False
) -> DemoResult:
    work_dir.mkdir(parents=True, exist_ok=True)
    outbox.mkdir(parents=True, exist_ok=True)
    with NewsSite(demo_outlets()) as site:
        say(f"demo news site: {site.base_url}")
        cfg_dir = write_demo_config(work_dir, outbox, site)
        say("crawling it (feeds, sitemaps, listings, article pages)…")
        crawl = _monitor(cfg_dir, "crawl", "--json")
        if crawl.returncode != 0:
            raise MonitorError(f"demo: the crawl failed:\n{crawl.stderr.strip()[-2000:]}")
        summary = _last_json(crawl.stdout)
        say("rendering the digest…")
        preview = _monitor(cfg_dir, "digest", "--recipient", DEMO_RECIPIENT, "--preview", "--json")
        dry = _monitor(cfg_dir, "digest", "--recipient", DEMO_RECIPIENT, "--dry-run", "--json")
        for step, proc in (("preview", preview), ("dry-run", dry)):
            if proc.returncode != 0:
                raise MonitorError(f"demo: digest {step} failed:\n{proc.stderr.strip()[-2000:]}")
        page_info, eml_info = _last_json(preview.stdout), _last_json(dry.stdout)
        if keep_serving:
            say("serving the demo site until Ctrl-C…")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return DemoResult(
            site_url=site.base_url,
            archive=work_dir / "archive.db",
            crawl=summary,
            page=Path(page_info["html_path"]),
            eml=Path(eml_info["eml_path"]),
            index=Path(page_info["index_path"]) if page_info.get("index_path") else None,
        )


def _last_json(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            value = json.loads(line)
            if isinstance(value, dict):
                return value
    raise MonitorError(f"demo: expected a JSON summary from the command, got:\n{stdout[-1000:]}")
