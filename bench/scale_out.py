"""Scale-out: 2,000 feeds answering after 200 ms, crawled by 1, 2 and 4 ``monitor worker`` processes.

The generated local site (``generate_outlets``, one RSS feed per outlet) answers every feed after
``--latency-s``; each run gets a fresh PostgreSQL database and Redis key prefix, every source is
queued into the frontier at once, and N workers crawl them. The throughput is sources per second
from the first crawl run's start to the last one's end.

What is measured is what scale-out is for: crawling is latency-bound, a worker has a fixed number
of requests in flight, so more workers crawl more feeds per second. Every worker gets
``crawl.concurrent_requests`` = ``--concurrency`` (and the same per domain: the site is one host),
so one worker cannot crawl more than ``concurrency / latency`` feeds per second: by default
2 / 0.2 s = 10 feeds/s, 40 feeds/s for four. The default is chosen small so that four workers stay
well within the CPU of the bench machine (two cores shared with PostgreSQL, Redis, the site and
other work): a worker spends some 20 ms of CPU per feed and its PostgreSQL backend some 5 ms, so
four workers at 40 feeds/s need about one core. A production worker has more in flight (the
default ``concurrent_requests`` is 16) on a machine of its own; a larger ``--concurrency`` here
measures the host's CPU instead, which a 2-core machine cannot give four workers. The workers are
started and ready before the sources are queued (workers are long-running: their start is not
crawl throughput). Each run prints the CPU seconds its processes used — the crawl processes (the
single process including its start; the workers and their crawl processes from the queueing on,
sampled from ``/proc``), the PostgreSQL backends serving the run's database (sampled every half second from ``/proc``, where
readable), the site (this process) — and how busy the whole machine was, so a reader sees whether
the run was latency-bound or starved of CPU (machine busy near 100 %).

Workers take ``queue.batch_sources`` sources at a time (the shipped default, 25): a run ends with
the last batch, so a worker still on its last batch while the others are done costs up to a
batch's time (a larger batch is a longer tail; a batch costs little besides, its crawl process
staying up). The sources are queued in name order, as the scheduler queues them, so one worker crawls in the
order a single process does. A single-process ``monitor crawl`` of the same site (with
``concurrency`` times the largest worker count in flight, to be quick) gives the reference
archive: every run must store the identical items (source, entry key, content fingerprint,
relevance); the bench fails (exit 1) otherwise, or when the speed-up over one worker falls short
of the targets (x1.8 with 2 workers, x3 with 4). Stories (as sets of their items) are compared
with the reference and reported, not required: folding is order-dependent (an item on the edge
of a story's related threshold joins it or not depending on what was folded before, which also
moves the window's term frequencies), and several workers fold in an order no single process
has. The control shows it: a single process crawling the same sources in the reverse order.

Needs PostgreSQL (``MONITOR_TEST_POSTGRES_URL`` or ``--postgres``) and Redis (``--redis``)::

    .venv/bin/python bench/scale_out.py                # 2,000 feeds, 1/2/4 workers
    .venv/bin/python bench/scale_out.py --feeds 300 --workers 1 2   # a quick look
"""

from __future__ import annotations

import argparse
import os
import resource
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
    cdir: Path,
    tmp: Path,
    site: NewsSite,
    url: str,
    queue: QueueSettings | None,
    args: Any,
    *,
    concurrency: int,
    reverse: bool = False,
) -> Database:
    """The configuration and the archive with its sources. ``reverse``: source names that sort
    the other way round (sources are crawled and queued in name order); the items are the same
    (they are compared by source URL and entry key)."""
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
            "concurrent_requests": concurrency,
            "concurrent_requests_per_domain": min(concurrency, 32),
            "extract_workers": 0,
        },
    }
    if queue is not None:
        settings["queue"] = queue.model_dump()
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings), "utf-8")
    sources = [s.model_dump(mode="json", exclude_none=True) for s in site.source_configs(["rss"])]
    if reverse:
        ranked = sorted(sources, key=lambda src: src["name"], reverse=True)
        for rank, src in enumerate(ranked):
            src["name"] = f"r{rank:05d}-{src['name']}"
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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    """CPU seconds of the reaped child processes of this one (and of theirs, once reaped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far, all cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def proc_cpu_s(pid: int) -> float | None:
    """CPU seconds process ``pid`` used so far (None: gone, or not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def descendants(roots: list[int]) -> set[int]:
    """``roots`` and every process below them."""
    parent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found = set(roots)
    grew = True
    while grew:
        below = {pid for pid, ppid in parent.items() if ppid in found} - found
        found |= below
        grew = bool(below)
    return found


class CpuMeter:
    """CPU used during one run: the crawl processes (reaped children; or, given ``roots``, those
    processes and theirs, sampled from /proc from now on), the PostgreSQL backends serving the
    run's database (sampled from /proc), the site (this process), the whole machine."""

    def __init__(self, db: Database, roots: list[int] | None = None) -> None:
        self.db = db
        self.roots = roots
        self.children = children_cpu_s()
        self.own = own_cpu_s()
        self.machine = machine_ticks()
        self.backends: dict[int, float] = {}
        self.pg_readable = True
        self.procs: dict[int, float] = {}
        self.procs_before = {pid: proc_cpu_s(pid) or 0.0 for pid in descendants(roots or [])}

    def sample(self) -> None:
        """Record the CPU time of each backend connected to the run's database now."""
        for pid in descendants(self.roots or []):
            if (cpu := proc_cpu_s(pid)) is not None:
                self.procs[pid] = cpu
        name = self.db.engine.url.database
        with self.db.engine.connect() as conn:
            pids = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            ).scalars()
            for pid in pids:
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    self.pg_readable = False  # PostgreSQL on another host
                    continue
                self.backends[pid] = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS

    def report(self, seconds: float, feeds: int) -> str:
        if self.roots is None:
            crawl = children_cpu_s() - self.children
        else:
            crawl = sum(self.procs.values()) - sum(self.procs_before.values())
        site = own_cpu_s() - self.own
        busy, total = (b - a for a, b in zip(self.machine, machine_ticks(), strict=True))
        cores = os.cpu_count() or 1
        pg = f"{sum(self.backends.values()):5.1f}" if self.pg_readable else "  n/a"
        return (
            f"CPU s: crawl {crawl:5.1f} ({crawl / seconds:4.2f} cores, "
            f"{1000 * crawl / feeds:3.0f} ms/feed), PostgreSQL {pg}, "
            f"site {site:4.1f}; machine busy {100 * busy / max(total, 1):3.0f}% of {cores} cores"
        )


def wait_sampling(proc: subprocess.Popen[bytes], meter: CpuMeter) -> int:
    while proc.poll() is None:
        meter.sample()
        time.sleep(0.5)
    return proc.returncode


def span_s(db: Database) -> float:
    with db.session() as s:
        first, last = s.execute(
            select(func.min(CrawlRun.started_at), func.max(CrawlRun.finished_at))
        ).one()
    return (last - first).total_seconds()


Stored = tuple[set[tuple[Any, ...]], set[frozenset[str]]]


def run_single(
    site: NewsSite, base: str, tmp: Path, args: Any, *, reverse: bool
) -> tuple[Stored, float, str]:
    url = create_database(base, "single")
    label = "reverse" if reverse else "single"
    try:
        cdir = tmp / label / "config"
        concurrency = args.concurrency * max(args.workers)
        db = write_config(
            cdir, tmp / label, site, url, None, args, concurrency=concurrency, reverse=reverse
        )
        meter = CpuMeter(db)
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(cdir), "crawl", "--json"],
            stdout=subprocess.DEVNULL,
            env=ENV,
            cwd=str(cdir.parent),
        )
        if wait_sampling(proc, meter) != 0:
            raise SystemExit(f"monitor crawl failed (exit code {proc.returncode})")
        seconds = span_s(db)
        result = stored(db), seconds, meter.report(seconds, len(site.outlets))
        db.close()
        return result
    finally:
        drop_database(base, url)


def run_workers(
    n: int, site: NewsSite, base: str, redis_url: str, tmp: Path, args: Any
) -> tuple[Stored, float, str]:
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
        db = write_config(cdir, tmp / f"w{n}", site, url, queue, args, concurrency=args.concurrency)
        with db.session() as s:
            # in name order, as the scheduler queues them (monitor.scheduler.jobs)
            sources = [
                (sid, name)
                for sid, name in s.execute(select(Source.id, Source.name).order_by(Source.name))
            ]
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
        for log in [tmp / f"w{n}" / f"worker{i}.log" for i in range(n)]:  # started, then queue
            while b"Worker started" not in log.read_bytes():
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise SystemExit(f"{n} worker(s): a worker did not start; see {log}")
                time.sleep(0.2)
        meter = CpuMeter(db, [p.pid for p in procs])
        frontier.enqueue("bench", sources)
        while time.monotonic() < deadline:
            with db.session() as s:
                done = s.scalar(select(func.count(func.distinct(CrawlRunSource.source_id))))
                open_runs = s.scalar(
                    select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "running")
                )
            if done == len(sources) and open_runs == 0:
                break
            meter.sample()
            time.sleep(0.5)
        else:
            raise SystemExit(f"{n} worker(s): not done within {args.timeout_s}s; see {tmp}")
        meter.sample()
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(120)
        seconds = span_s(db)
        result = stored(db), seconds, meter.report(seconds, len(site.outlets))
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


def same_stories(stories: set[frozenset[str]], reference: set[frozenset[str]]) -> str:
    return f"{len(stories & reference)} of {len(stories)} as in one process"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=1, help="items per feed")
    parser.add_argument("--latency-s", type=float, default=0.2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight per worker")
    parser.add_argument(
        "--batch",
        type=int,
        default=QueueSettings().batch_sources,
        help="queue.batch_sources (default: the shipped default)",
    )
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
    targets = {2: 1.8, 4: 3.0}
    with NewsSite(outlets) as site, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for o in site.outlets:
            site.set_fault(site.feed_url(o.slug, "rss"), Fault(kind="slow", delay_s=args.latency_s))
        feeds = len(site.outlets)
        print(
            f"{feeds} feeds x {args.items} item(s), {args.latency_s * 1000:.0f} ms latency, "
            f"{args.concurrency} requests in flight per worker (at most "
            f"{args.concurrency / args.latency_s:.0f} feeds/s each), batches of {args.batch}; "
            f"the single process has {args.concurrency * max(args.workers)}"
        )
        (reference, ref_stories), single_s, cpu = run_single(
            site, args.postgres, tmp, args, reverse=False
        )
        print(
            f"single process (monitor crawl): {single_s:6.1f} s  {feeds / single_s:7.1f} feeds/s  "
            f"{len(reference)} items in {len(ref_stories)} stories\n    {cpu}"
        )
        (again, again_stories), again_s, cpu = run_single(
            site, args.postgres, tmp, args, reverse=True
        )
        print(
            f"single process, reverse order:  {again_s:6.1f} s  {feeds / again_s:7.1f} feeds/s  "
            f"items identical: {'yes' if again == reference else 'NO'}; stories "
            f"{same_stories(again_stories, ref_stories)}\n    {cpu}"
        )
        base_rate = None
        ok = again == reference
        for n in args.workers:
            (items, stories), seconds, cpu = run_workers(
                n, site, args.postgres, args.redis, tmp, args
            )
            rate = feeds / seconds
            base_rate = base_rate or rate
            same = items == reference
            speedup = rate / base_rate
            fast = speedup >= targets.get(n, 0.0)
            ok = ok and same and fast
            print(
                f"{n} worker(s):                   {seconds:6.1f} s  {rate:7.1f} feeds/s  "
                f"x{speedup:4.2f}{'' if fast else f' (target x{targets[n]})'}  "
                f"items identical to one process: {'yes' if same else 'NO'}"
                + ("" if same else f" ({len(items ^ reference)} differ)")
                + f"; stories {same_stories(stories, ref_stories)}\n    {cpu}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
