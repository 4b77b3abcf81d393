"""Time to the first stored item of a source whose article pages never answer.

Serves one outlet of the local test site (``--entries`` articles, feeds carrying only a short
teaser, so every entry needs its page) whose article pages all hang, and runs ``monitor crawl``
(a child process, fresh SQLite archive, one request at a time per site as a polite crawl of a
slow site would) until ``--limit`` seconds, then stops it with SIGTERM as the daemon's time
limit does. Prints, for each code tree:

- **feed fetch**: from the crawl's start to the feed being served (the site's request log);
- **first stored**: from the feed being served to the first item's ``first_seen_at``
  (the store's own clock, no polling error) — the figure that should be no more than storing;
- **all stored**: … to the last entry's ``first_seen_at``;
- stored entries at the stop, and the run's and the source's status with the source's note.

``--compare-with DIR`` runs the same against another checkout (e.g. ``git archive main | tar -x
-C /tmp/main``), each crawl with its own tree's code, so before and after come from one run.

    python bench/first_item.py [--entries 60] [--limit 20] [--compare-with /tmp/main]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.newsite import Article, Fault, NewsSite, Outlet, render_feeds, resources  # noqa: E402
from monitor.newsite.routes import article_path, feed_path  # noqa: E402
from monitor.paths import shipped_config_dir  # noqa: E402

TEASER = "Officials met on Tuesday."
CRAWL = {
    "autothrottle": False,
    "concurrent_requests": 1,
    "concurrent_requests_per_domain": 1,
    "download_timeout_s": 10,
    "retries": 1,
    "retry_backoff_s": 0.5,
    "contact_url": "https://example.org/monitor-bench",
}


def _outlet(entries: int) -> Outlet:
    now = datetime.now(UTC).replace(microsecond=0)
    articles = [
        Article(
            slug=f"report-{i:05d}",
            title=f"Delegations meet in the capital, round {i}",
            body=(f"Round {i}: Iranian and Russian officials discussed the transport corridor.",),
            author="Staff",
            published=now - timedelta(minutes=i + 1),
            summary=TEASER,
            full_in_feed=False,
        )
        for i in range(entries)
    ]
    return Outlet(slug="dead-pages", name="Dead Pages", language="en", kinds=("rss",),
                  articles=articles)  # fmt: skip


def _config(tmp: Path, site: NewsSite, max_items: int) -> Path:
    cdir = tmp / "config"
    cdir.mkdir()
    (cdir / "topics").symlink_to(shipped_config_dir() / "topics")
    settings = {
        "database_url": f"sqlite:///{tmp / 'archive.db'}",
        "data_dir": str(tmp / "data"),
        "outbox_dir": str(tmp / "outbox"),
        "crawl": {**CRAWL, "max_items_per_source": max_items},
    }
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    sources = [s.model_dump(mode="json", exclude_none=True) for s in site.source_configs()]
    (cdir / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    return cdir


def _stored(db: Path) -> tuple[int, list[datetime]]:
    if not db.exists():
        return 0, []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2) as conn:
            rows = conn.execute("SELECT first_seen_at FROM items").fetchall()
    except sqlite3.Error:
        return 0, []
    return len(rows), [datetime.fromisoformat(r[0]).replace(tzinfo=UTC) for r in rows]


def _outcome(db: Path) -> tuple[str, str, str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        run = conn.execute("SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        row = conn.execute(
            "SELECT status, messages FROM crawl_run_sources ORDER BY id DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return (run[0] if run else "-"), "-", ""
    messages = json.loads(row[1] or "[]")
    return run[0], row[0], (messages[0] if messages else "")


def _feed_holds(entries: int) -> None:
    """Let the test site's feeds carry every entry (they list 50 by default)."""
    render_feeds.FEED_LIMIT = max(entries, render_feeds.FEED_LIMIT)
    resources.FEED_LIMIT = render_feeds.FEED_LIMIT  # type: ignore[attr-defined]


def measure(tree: Path, entries: int, limit: float) -> dict[str, Any]:
    _feed_holds(entries)
    outlet = _outlet(entries)
    with NewsSite([outlet]) as site, tempfile.TemporaryDirectory(prefix="bench-first-") as t:
        tmp = Path(t)
        for article in outlet.articles:
            site.set_fault(article_path(outlet.slug, article), Fault(kind="timeout", hang_s=3600))
        cdir = _config(tmp, site, max_items=max(entries, 500))
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        env["NO_PROXY"] = "*"
        env["MONITOR_ALLOW_NETWORKS"] = "127.0.0.0/8"  # for trees that guard outbound requests
        started = time.time()
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(cdir), "crawl", "--json"],
            cwd=tree,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        db = tmp / "archive.db"
        while time.time() - started < limit and proc.poll() is None:
            if _stored(db)[0] >= entries:
                break
            time.sleep(0.1)
        at_stop, _ = _stored(db)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            _, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
        feed = [r.at for r in site.requests if r.path == feed_path(outlet.slug, "rss")]
        count, seen = _stored(db)
        run_status, source_status, note = _outcome(db) if db.exists() else ("-", "-", "")
    feed_at = feed[0] if feed else None
    firsts = sorted(s.timestamp() for s in seen)
    return {
        "tree": str(tree),
        "feed_fetch_s": None if feed_at is None else feed_at - started,
        "first_stored_s": None if not firsts or feed_at is None else firsts[0] - feed_at,
        "all_stored_s": (
            None if len(firsts) < entries or feed_at is None else firsts[-1] - feed_at
        ),
        "stored_at_stop": at_stop,
        "stored_at_end": count,
        "run_status": run_status,
        "source_status": source_status,
        "note": note,
        "stderr_tail": stderr[-300:] if proc.returncode not in (0, -signal.SIGTERM) else "",
    }


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=60)
    parser.add_argument("--limit", type=float, default=20.0, help="SIGTERM after this many s")
    parser.add_argument("--compare-with", type=Path, default=None, metavar="DIR")
    args = parser.parse_args()
    trees = [ROOT] + ([args.compare_with.resolve()] if args.compare_with else [])
    print(f"{args.entries} entries, article pages never answer, stop after {args.limit:.0f} s")
    for tree in trees:
        r = measure(tree, args.entries, args.limit)
        print(f"\n{r['tree']}")
        print(f"  feed fetch (crawl start → feed served): {_s(r['feed_fetch_s'])}")
        print(f"  first stored item after the feed:       {_s(r['first_stored_s'])}")
        print(f"  all {args.entries} entries stored after the feed:    {_s(r['all_stored_s'])}")
        print(f"  stored at the stop / at the end:        {r['stored_at_stop']} / "
              f"{r['stored_at_end']} of {args.entries}")  # fmt: skip
        print(f"  run: {r['run_status']}, source: {r['source_status']} {r['note'][:100]}")
        if r["stderr_tail"]:
            print(f"  stderr: {r['stderr_tail']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
