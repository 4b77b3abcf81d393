"""Crawl benchmark: our full collection pipeline vs a bare Scrapy crawl of the same pages.

Serves a generated local site (``generate_outlets``: 20 outlets × 50 items, RSS feeds, every
article page fetched = 1,000 pages) and runs, each in its own child process (Twisted's reactor
runs once per process):

- **ours + judge/fold** (the headline): ``run_crawl`` as users run it, into a fresh SQLite
  archive: fetch, parse, known-check, extract, store, and the default stages (relevance and
  dedup) on every stored item;
- **ours: collect + store**: the same without the stages;
- **baseline**: a bare Scrapy spider with the same HTTP settings that fetches the same feeds,
  parses them with feedparser, fetches the same article pages and runs the same extractor
  (:func:`monitor.collect.extract.extract_article`) in the crawl process, storing nothing.

Ours runs with ``crawl.extract_workers`` (``--extract-workers``, default 1 as shipped): article
text is extracted in that many worker processes beside the crawl, so ours may use a second core
the single-process baseline does not; ``--extract-workers 0`` compares like for like.

Each mode runs ``--repeat`` times (interleaved, fastest run counts: the machine is shared).
Prints items/s, pages/s, peak memory (max RSS of each child, and of its extraction worker), CPU
seconds of each child and of its extraction workers (on a busy machine they say more than wall
time), our time split (fetch = wall time of the crawl process not spent in parse/extract/store; parse;
extract (in the crawl process: the hand-over when workers extract); store incl. stages; and the
extraction workers' own time, which overlaps the rest) and both ratios. The check (exit status)
is on the headline ratio, ours + judge/fold against the baseline.

    python bench/crawl.py [--outlets 20] [--items 50] [--max-ratio 1.3] [--extract-workers 1]

A feed of the generated site lists at most 50 entries (``FEED_LIMIT``): 10,000 pages are
``--outlets 200``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOOPBACK = "127.0.0.0/8"
CRAWL = {
    "autothrottle": False,
    "concurrent_requests": 16,
    "concurrent_requests_per_domain": 8,
    "download_timeout_s": 30,
    "retries": 0,
    "max_items_per_source": 500,
    "allow_networks": ["127.0.0.1/32"],  # the local news site (the network guard refuses loopback)
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s(who: int = resource.RUSAGE_SELF) -> float:
    """CPU seconds (user + system) of this process, or of its ended children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class ChildPeak:
    """Peak RSS (VmHWM) of this process's child processes (the extraction workers), sampled from
    /proc while the crawl runs (rusage of children would include earlier, unrelated ones)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ChildPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.5):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if stat.read_text().rsplit(")", 1)[1].split()[1] != me:  # parent pid
                        continue
                    status = (stat.parent / "status").read_text()
                except (OSError, IndexError):
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))


def run_ours(feeds: list[str], workdir: Path, *, stages: bool, workers: int) -> dict[str, Any]:
    from monitor.cli.context import AppContext
    from monitor.collect.crawl import run_crawl
    from monitor.config import CrawlSettings, Settings, SourceConfig, load_config
    from monitor.db.engine import Database
    from monitor.db.sources import merge_sources
    from monitor.paths import shipped_config_dir
    from spiders.process import crawl_sources

    base = load_config(shipped_config_dir())
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'bench.db'}",
        data_dir=str(workdir),
        crawl=CrawlSettings(**CRAWL, extract_workers=workers),  # type: ignore[arg-type]
    )
    sources = [
        SourceConfig(name=f"feed {i}", url=url, kind="rss", language="en", fetch_fulltext=True)
        for i, url in enumerate(feeds)
    ]
    config = type(base)(config_dir=base.config_dir, settings=settings, sources=sources)
    db = Database.open(config.database_url)
    with db.session() as session:
        merge_sources(session, sources, origin="config")
    del AppContext
    with ChildPeak() as workers_peak:
        t0 = time.perf_counter()
        summary = run_crawl(
            config, db, engine=crawl_sources, trigger="cli", stages=None if stages else []
        )
        total = time.perf_counter() - t0
    t = summary.timings
    cpu = t.get("parse", 0) + t.get("extract", 0) + t.get("store", 0)
    return {
        "total_s": total,
        "items": summary.new_items,
        "pages": summary.fetched,
        "errors": summary.errors,
        "relevant": summary.relevant_items,
        "split": {
            "fetch": max(total - cpu, 0.0),
            "parse": t.get("parse", 0),
            "extract": t.get("extract", 0),
            "store": t.get("store", 0),
            "stages (in store)": t.get("stages", 0),
            "extract in workers (overlapped)": t.get("extract_worker", 0),
        },
        "peak_mb": _peak_mb(),
        "worker_peak_mb": workers_peak.peak_kb / 1024.0,
        "cpu_s": _cpu_s(),
        "worker_cpu_s": _cpu_s(resource.RUSAGE_CHILDREN),
    }


def run_baseline(feeds: list[str]) -> dict[str, Any]:
    import feedparser
    import scrapy
    from scrapy import Request

    from monitor.collect.extract import extract_article
    from monitor.config import CrawlSettings
    from spiders.process import crawler_process
    from spiders.settings import scrapy_settings

    counts = {"items": 0, "pages": 0}

    class Bare(scrapy.Spider):  # type: ignore[misc]
        name = "bare"

        async def start(self):  # type: ignore[no-untyped-def]
            for url in feeds:
                yield Request(url, callback=self.parse_feed)

        def parse_feed(self, response):  # type: ignore[no-untyped-def]
            counts["pages"] += 1
            parsed = feedparser.parse(response.body)
            for entry in parsed.entries:
                yield Request(entry.link, callback=self.parse_article)

        def parse_article(self, response):  # type: ignore[no-untyped-def]
            counts["pages"] += 1
            if extract_article(response.body, url=response.url) is not None:
                counts["items"] += 1

    process = crawler_process(scrapy_settings(CrawlSettings(**CRAWL), bare=True))  # type: ignore[arg-type]
    process.crawl(Bare)
    t0 = time.perf_counter()
    process.start()
    total = time.perf_counter() - t0
    return {
        "total_s": total,
        **counts,
        "peak_mb": _peak_mb(),
        "worker_peak_mb": 0.0,
        "cpu_s": _cpu_s(),
        "worker_cpu_s": 0.0,
    }


def child(mode: str, feeds: list[str], workdir: Path, workers: int) -> list[str]:
    args = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        "--workdir",
        str(workdir),
        "--extract-workers",
        str(workers),
    ]
    # the site is on loopback, which the crawl's address guard lets through only when allowed
    env = {
        **os.environ,
        "MONITOR_ALLOW_NETWORKS": os.environ.get("MONITOR_ALLOW_NETWORKS", LOOPBACK),
    }
    proc = subprocess.run(
        args, input=json.dumps(feeds), capture_output=True, text=True, check=False, env=env
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"bench: {mode} run failed")
    return proc.stdout.strip().splitlines()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=20)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--max-ratio", type=float, default=1.3)
    parser.add_argument(
        "--extract-workers", type=int, default=1, help="crawl.extract_workers for our runs"
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs per mode; the fastest counts")
    parser.add_argument(
        "--headline-only",
        action="store_true",
        help="run the baseline and ours + judge/fold only (not ours: collect + store)",
    )
    parser.add_argument("--child", choices=["ours", "ours+stages", "baseline"])
    parser.add_argument("--workdir")
    args = parser.parse_args()
    if args.child:
        feeds = json.loads(sys.stdin.read())
        workdir = Path(args.workdir)
        if args.child == "baseline":
            result = run_baseline(feeds)
        else:
            result = run_ours(
                feeds,
                workdir / args.child,
                stages=args.child == "ours+stages",
                workers=args.extract_workers,
            )
        print(json.dumps(result))
        return 0

    from monitor.newsite import NewsSite, generate_outlets

    kinds = ("rss", "rss1", "atom")
    generated = generate_outlets(n_outlets=args.outlets * 3, items_per_feed=args.items, seed=1)
    # outlets that offer a feed (some generated outlets only have sitemaps and listings)
    outlets = [o for o in generated if any(o.offers(k) for k in kinds)][: args.outlets]
    with NewsSite(outlets) as site, tempfile.TemporaryDirectory() as tmp:
        feeds = [site.feed_url(o.slug, next(k for k in kinds if o.offers(k))) for o in outlets]
        results: dict[str, dict[str, Any]] = {}
        modes = ("baseline", "ours+stages") + (() if args.headline_only else ("ours",))
        for round_no in range(args.repeat):
            for mode in modes:
                workdir = Path(tmp) / f"round{round_no}"
                workdir.mkdir(exist_ok=True)
                result = json.loads(child(mode, feeds, workdir, args.extract_workers)[-1])
                if mode not in results or result["total_s"] < results[mode]["total_s"]:
                    results[mode] = result
    ours, base, full = results.get("ours"), results["baseline"], results["ours+stages"]
    print(
        f"site: {len(feeds)} feeds × {args.items} items ({len(feeds) * args.items} article pages)"
    )
    print(f"ours: crawl.extract_workers = {args.extract_workers}; baseline: extracts in-process")
    rows = [("baseline (bare Scrapy)", base), ("ours + judge/fold", full)]
    if ours is not None:
        rows.append(("ours: collect + store", ours))
    for name, r in rows:
        worker = f" (+ worker {r['worker_peak_mb']:.1f} MB)" if r["worker_peak_mb"] else ""
        print(
            f"{name:24s} total {r['total_s']:7.2f} s  items {r['items']:5d} ({r['items'] / r['total_s']:6.1f}/s)"
            f"  pages {r['pages']:5d} ({r['pages'] / r['total_s']:6.1f}/s)  peak {r['peak_mb']:6.1f} MB{worker}"
        )
    for name, r in rows:  # on a busy machine CPU time says more than wall time
        workers = f" + extraction workers {r['worker_cpu_s']:.2f} s" if r["worker_cpu_s"] else ""
        print(f"{name:24s} CPU: crawl process {r['cpu_s']:.2f} s{workers}")
    for name, r in rows[1:]:
        print(
            f"{name}, time split (s): " + ", ".join(f"{k} {v:.2f}" for k, v in r["split"].items())
        )
    print(f"ours + judge/fold: {full['errors']} errors, {full['relevant']} relevant items")
    ratio = full["total_s"] / base["total_s"]
    verdict = "OK" if ratio <= args.max_ratio else "TOO SLOW"
    print(f"ratio ours+judge/fold/baseline: {ratio:.2f} (limit {args.max_ratio}) {verdict}")
    if ours is not None:
        print(f"ratio ours (collect + store)/baseline: {ours['total_s'] / base['total_s']:.2f}")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    raise SystemExit(main())
