"""Scale-out: 2,000 feeds answering after 200 ms, crawled by 1, 2 and 4 ``monitor worker`` processes.

The generated local site (``generate_outlets``, one RSS feed per outlet) answers every feed after
``--latency-s``; each run gets a fresh PostgreSQL database and Redis key prefix, every source is
queued into the frontier at once, and N workers crawl them (each with
``crawl.concurrent_requests_per_domain`` = ``--concurrency``: the work is latency-bound). The
throughput is sources per second from the first crawl run's start to the last one's end. A
single-process ``monitor crawl`` of the same site gives the reference archive: every run must store
the identical items (source, entry key, content fingerprint, relevance, story membership by
fingerprint).

Needs PostgreSQL (``MONITOR_TEST_POSTGRES_URL`` or ``--postgres``) and Redis (``--redis``)::

    .venv/bin/python bench/scale_out.py                # 2,000 feeds, 1/2/4 workers
    .venv/bin/python bench/scale_out.py --feeds 300 --workers 1 2   # a quick look
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config import QueueSettings, load_config  # noqa: E402
from monitor.database_url import normalise_url  # noqa: E402
from monitor.db.engine import Database  # noqa: E402
from monitor.db.models import CrawlRun, CrawlRunSource, Item, Source  # noqa: E402
from monitor.db.sources import seed_sources_if_empty  # noqa: E402
from monitor.frontier import open_frontier  # noqa: E402
from monitor.newsite import Fault, NewsSite, generate_outlets  # noqa: E402

ENV = {**os.environ, "MONITOR_ALLOW_NETWORKS": "127.0.0.0/8", "PYTHONUNBUFFERED": "1"}


def create_database(base: str, label: str) -> str:
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"monitor_bench_{label}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return normalise_url(base).rsplit("/", 1)[0] + "/" + name


def drop_database(base: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def write_config(
    cdir: Path, tmp: Path, site: NewsSite, url: str, queue: QueueSettings | None, args: Any
) -> Database:
    cdir.mkdir(parents=True, exist_ok=True)
    settings: dict[str, Any] = {
        "database_url": url,
        "data_dir": str(tmp / "data"),
        "outbox_dir": str(tmp / "outbox"),
        "topic": str(ROOT / "config" / "topics" / "iran-russia.yaml"),
        "crawl": {
            "obey_robots_txt": False,
            "autothrottle": False,
            "retries": 0,
            "download_timeout_s": 30,
            "fetch_fulltext": False,
            "concurrent_requests": 64,
            "concurrent_requests_per_domain": args.concurrency,
            "extract_workers": 0,
        },
    }
    if queue is not None:
        settings["queue"] = queue.model_dump()
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings), "utf-8")
    sources = [s.model_dump(mode="json", exclude_none=True) for s in site.source_configs(["rss"])]
    (cdir / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}), "utf-8")
    db = Database.open(url)
    with db.session() as session:
        seed_sources_if_empty(session, load_config(cdir).sources)
    return db


def stored(db: Database) -> tuple[set[tuple[Any, ...]], set[frozenset[str]]]:
    """What was stored, independent of ids and timing: per item its source, identity, content
    fingerprint and relevance; and the stories as sets of their items' (source, entry key)."""
    with db.session() as s:
        rows = s.execute(
            select(
                Source.url, Item.entry_key, Item.content_hash, Item.relevant, Item.story_id
            ).join(Source, Source.id == Item.source_id)
        ).all()
    members: dict[Any, set[str]] = {}
    for url, key, _fp, _rel, story in rows:
        if story is not None:
            members.setdefault(story, set()).add(f"{url} {key}")
    items = {(url, key, fp, rel) for url, key, fp, rel, _story in rows}
    return items, {frozenset(m) for m in members.values()}


def span_s(db: Database) -> float:
    with db.session() as s:
        first, last = s.execute(
            select(func.min(CrawlRun.started_at), func.max(CrawlRun.finished_at))
        ).one()
    return (last - first).total_seconds()


def run_single(site: NewsSite, base: str, tmp: Path, args: Any) -> tuple[set[Any], float, int]:
    url = create_database(base, "single")
    try:
        cdir = tmp / "single" / "config"
        db = write_config(cdir, tmp / "single", site, url, None, args)
        subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(cdir), "crawl", "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
            env=ENV,
            cwd=str(cdir.parent),
        )
        result = stored(db), span_s(db), len(site.outlets)
        db.close()
        return result
    finally:
        drop_database(base, url)


def run_workers(
    n: int, site: NewsSite, base: str, redis_url: str, tmp: Path, args: Any
) -> tuple[set[Any], float]:
    url = create_database(base, f"w{n}")
    queue = QueueSettings(
        url=redis_url,
        key_prefix=f"monitor-bench-{uuid.uuid4().hex[:8]}",
        batch_sources=args.batch,
        visibility_timeout_s=300,
    )
    frontier = open_frontier(queue)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        cdir = tmp / f"w{n}" / "config"
        db = write_config(cdir, tmp / f"w{n}", site, url, queue, args)
        with db.session() as s:
            sources = [(sid, name) for sid, name in s.execute(select(Source.id, Source.name))]
        frontier.enqueue("bench", sources)
        logs = [(tmp / f"w{n}" / f"worker{i}.log").open("wb") for i in range(n)]
        for i in range(n):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "monitor", "--config", str(cdir), "worker"],
                    stdout=logs[i],
                    stderr=subprocess.STDOUT,
                    env=ENV,
                    cwd=str(cdir.parent),
                )
            )
        deadline = time.monotonic() + args.timeout_s
        while time.monotonic() < deadline:
            with db.session() as s:
                done = s.scalar(select(func.count(func.distinct(CrawlRunSource.source_id))))
                open_runs = s.scalar(
                    select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "running")
                )
            if done == len(sources) and open_runs == 0:
                break
            time.sleep(0.5)
        else:
            raise SystemExit(f"{n} worker(s): not done within {args.timeout_s}s; see {tmp}")
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(120)
        result = stored(db), span_s(db)
        db.close()
        return result
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        keys = list(frontier.client.scan_iter(match=f"{queue.key_prefix}:*"))
        if keys:
            frontier.client.delete(*keys)
        drop_database(base, url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=1, help="items per feed")
    parser.add_argument("--latency-s", type=float, default=0.2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=4, help="per worker, on the one host")
    parser.add_argument("--batch", type=int, default=100, help="queue.batch_sources")
    parser.add_argument("--timeout-s", type=float, default=900)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("MONITOR_TEST_POSTGRES_URL")
        or "postgresql://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument(
        "--redis", default=os.environ.get("MONITOR_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
    )
    args = parser.parse_args()
    outlets = [o for o in generate_outlets(args.feeds * 6, args.items, seed=11) if o.offers("rss")][
        : args.feeds
    ]
    with NewsSite(outlets) as site, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for o in site.outlets:
            site.set_fault(site.feed_url(o.slug, "rss"), Fault(kind="slow", delay_s=args.latency_s))
        print(
            f"{len(outlets)} feeds x {args.items} item(s), {args.latency_s * 1000:.0f} ms latency, "
            f"{args.concurrency} concurrent requests per worker, batches of {args.batch}"
        )
        (reference, ref_stories), single_s, feeds = run_single(site, args.postgres, tmp, args)
        print(
            f"single process (monitor crawl): {single_s:6.1f} s  {feeds / single_s:7.1f} feeds/s  "
            f"{len(reference)} items in {len(ref_stories)} stories"
        )
        base_rate = None
        ok = True
        for n in args.workers:
            (items, stories), seconds = run_workers(n, site, args.postgres, args.redis, tmp, args)
            rate = feeds / seconds
            base_rate = base_rate or rate
            same = items == reference
            ok = ok and same
            print(
                f"{n} worker(s):                   {seconds:6.1f} s  {rate:7.1f} feeds/s  "
                f"x{rate / base_rate:4.2f}  items identical to one process: {'yes' if same else 'NO'}"
                + ("" if same else f" ({len(items ^ reference)} differ)")
                + f"; stories {len(stories)}, {len(stories & ref_stories)} of them as in one process"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
