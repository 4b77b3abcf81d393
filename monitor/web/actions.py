"""What the pages can change: read and starred state, story splits, sources on or off, retries.

Every action is a POST with the CSRF token (:func:`monitor.web.security.csrf_ok`); with a token
configured it also needs a session (the auth middleware). A form posted by the browser gets a
redirect back; the page script's ``fetch`` (``Accept: application/json``) gets JSON.

"Retry now" clears the source's back-off (it is due at once) and, unless a crawl of this archive
is running, starts one crawl of that source in a child process (``python -m monitor crawl
--source NAME``), under the configured time limit; the sources page shows its outcome.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime

from monitor.config import AppConfig
from monitor.db import crawl_guard
from monitor.db.engine import Database
from monitor.scheduler.supervisor import run_child

log = logging.getLogger(__name__)


def crawl_running(db: Database, config: AppConfig) -> bool:
    """Whether a crawl of this archive is under way (stale rows are closed on the way)."""
    limit = config.settings.crawl.run_time_limit_s + 600
    with db.session() as session:
        _closed, live = crawl_guard.close_stale_runs(
            session, now=datetime.now(UTC), stale_after_s=limit, who="web"
        )
    return bool(live)


def start_source_crawl(
    config: AppConfig, source: str, env: Mapping[str, str] | None = None
) -> threading.Thread:
    """Crawl one source in a child process, in the background (a thread waits for it)."""
    argv = [
        sys.executable,
        "-m",
        "monitor",
        "--config",
        str(config.config_dir.resolve()),
        "crawl",
        "--source",
        source,
        "--json",
    ]

    def run() -> None:
        result = run_child(
            argv,
            time_limit_s=config.settings.crawl.run_time_limit_s,
            env=dict(env) if env is not None else None,
        )
        level = logging.INFO if result.ok else logging.WARNING
        log.log(
            level,
            "Retry crawl finished source=%s status=%s exit_code=%s output=%s",
            source,
            result.status,
            result.exit_code,
            result.stdout[-500:],
        )

    thread = threading.Thread(target=run, name=f"retry-{source}", daemon=True)
    thread.start()
    return thread
