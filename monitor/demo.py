"""``monitor demo``: the whole pipeline on the bundled demo news site, offline, in one command.

1. start the demo news site (English, Russian and Persian outlets) on a free loopback port;
2. write a config directory for it under ``./data/demo/config`` (its sources, the shipped topic,
   a fresh SQLite archive in ``./data/demo``, one demo recipient);
3. crawl it in a child process (``python -m monitor crawl``; the Twisted reactor runs once per
   process) — feeds, sitemaps, listing pages, full text, relevance, dedup;
4. render the digest (page, text and ``.eml``) into the outbox, record it in the demo archive
   (status ``preview``) so the web app lists it, and return the paths;
5. optionally serve the web app on the demo archive.

The demo works in its own folder, always: no ``MONITOR_*`` variable reaches its steps (they would
win over its config file and could point the crawl at another archive, even a production one),
and its configuration is read without the environment.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from monitor.config import load_config
from monitor.db.engine import Database
from monitor.digest.service import run_digest
from monitor.errors import MonitorError
from monitor.newsite import NewsSite, demo_outlets
from monitor.paths import shipped_config_dir

DEMO_RECIPIENT = "demo"


NOT_SETTINGS = ("MONITOR_CONFIG_DIR", "MONITOR_TEST_")  # variables that change no setting


@dataclass(frozen=True)
class DemoResult:
    site_url: str
    archive: Path
    config_dir: Path
    crawl: dict[str, Any]
    page: Path
    eml: Path
    digest_id: int | None


def clean_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) without any ``MONITOR_`` variable."""
    env = os.environ if env is None else env
    return {k: v for k, v in env.items() if not k.startswith("MONITOR_")}


def settings_variables(env: Mapping[str, str] | None = None) -> list[str]:
    """The ``MONITOR_*`` variables set that would win over a config file's settings."""
    env = os.environ if env is None else env
    return sorted(
        k
        for k, v in env.items()
        if k.startswith("MONITOR_") and v and not k.startswith(NOT_SETTINGS)
    )


def browse_command(config_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """The exact command that serves the demo archive (unsetting variables that would win)."""
    try:
        shown = config_dir.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = config_dir.resolve()
    unset = settings_variables(env)
    prefix = ("env " + " ".join(f"-u {v}" for v in unset) + " ") if unset else ""
    return f"{prefix}monitor --config {shlex.quote(str(shown))} serve"


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
            # the demo site runs on this machine: its one address, allowed explicitly
            "allow_networks": [f"{site.host}/32"],
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
        env=clean_environment(),
    )


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8750


def run_demo(
    work_dir: Path,
    outbox: Path,
    *,
    say: Callable[[str], None] = print,
    keep_serving: bool = False,
    serve: ServeOptions | None = None,
    on_ready: Callable[[DemoResult], None] | None = None,
) -> DemoResult:
    """Run the demo in ``work_dir``; ``serve``: then serve the web app on its archive until
    interrupted (``on_ready`` is called with the result first)."""
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
        config = load_config(cfg_dir, env={})
        db = Database.open(config.database_url)
        try:
            out = run_digest(config, db, DEMO_RECIPIENT, "dry_run", record=True)
            if not out.ok or out.html_path is None or out.eml_path is None:
                raise MonitorError(f"demo: the digest failed: {out.error or out.status}")
            result = DemoResult(
                site_url=site.base_url,
                archive=work_dir / "archive.db",
                config_dir=cfg_dir,
                crawl=summary,
                page=out.html_path,
                eml=out.eml_path,
                digest_id=out.digest_id,
            )
            if on_ready is not None:
                on_ready(result)
            if serve is not None:
                from monitor.web.server import serve as serve_app

                say(f"serving the demo archive on http://{serve.host}:{serve.port}/ (Ctrl-C ends)")
                serve_app(
                    config, db, host=serve.host, port=serve.port, child_env=clean_environment()
                )
            elif keep_serving:
                say("serving the demo site until Ctrl-C…")
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    pass
        finally:
            db.close()
        return result


def _last_json(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            value = json.loads(line)
            if isinstance(value, dict):
                return value
    raise MonitorError(f"demo: expected a JSON summary from the command, got:\n{stdout[-1000:]}")
