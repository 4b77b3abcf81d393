"""Near-copy matching at archive scale.

    python bench/dedup_scale.py [--items 1000000] [--queries 2000] [--compare 10000] [--sql-items 20000]

What is measured (2 cores, one process):

1. *index build*: the in-memory LSH band index (:class:`monitor.dedup.index.BandIndex`, the same
   band hashes as the ``dedup_bands`` table) over ``--items`` generated MinHash signatures
   (128 permutations, 32 bands × 4 rows). Signatures are generated, not computed from text: random
   signatures for distinct items, plus 1 % planted copy groups (a stored signature with 10–20 % of
   its positions changed, i.e. estimated Jaccard 0.8–0.9);
2. *match one new item*: MinHash of a ~400-word text (computed from text) + band lookup +
   verification of the candidates; half of the queries are copies of stored items, half are new;
   median and p95 over ``--queries``;
3. *peak memory*: the process's maximum resident set size;
4. *speed-up*: on ``--compare`` items, LSH lookup vs brute-force comparison with every stored
   signature (vectorised numpy), with the matches at the copy threshold checked to be equal;
5. *SQL path*: the fold stage's actual lookup (``dedup_bands`` in a SQLite file) with
   ``--sql-items`` stored items: median time of the candidate query.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from monitor.config import shipped_outlets
from monitor.db import stories
from monitor.db.engine import Database
from monitor.db.models import DedupBand, Item, Source
from monitor.dedup.index import BandIndex
from monitor.dedup.minhash import MinHasher, Signature
from monitor.dedup.text import prepare_body

THRESHOLD = 0.75
WORDS = (
    "iran russia moscow tehran minister talks treaty gas corridor railway sanctions nuclear "
    "drill navy caspian delegation agreement trade ruble rial energy oil transit bank payment "
    "visit summit president foreign ministry council security cooperation project loan contract"
).split()


def generate(n: int, num_perm: int, rng: np.random.Generator) -> tuple[np.ndarray, Signature]:
    sigs = rng.integers(0, 2**32, size=(n, num_perm), dtype=np.uint32)
    n_copies = n // 100
    if n_copies:
        src = rng.integers(0, n - n_copies, size=n_copies)
        dst = np.arange(n - n_copies, n)
        sigs[dst] = sigs[src]
        mask = rng.random((n_copies, num_perm)) < rng.uniform(0.1, 0.2, size=(n_copies, 1))
        noise = rng.integers(0, 2**32, size=(n_copies, num_perm), dtype=np.uint32)
        sigs[dst] = np.where(mask, noise, sigs[dst])
    return np.arange(n, dtype=np.int64), sigs


def perturb(sig: Signature, share: float, rng: np.random.Generator) -> Signature:
    out = sig.copy()
    mask = rng.random(sig.size) < share
    out[mask] = rng.integers(0, 2**32, size=int(mask.sum()), dtype=np.uint32)
    return out


def sample_text(rnd: random.Random, words: int = 400) -> str:
    return " ".join(rnd.choice(WORDS) + str(rnd.randint(0, 50)) for _ in range(words))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_memory_index(args: argparse.Namespace, hasher: MinHasher) -> None:
    rng = np.random.default_rng(7)
    rnd = random.Random(7)
    ids, sigs = generate(args.items, hasher.num_perm, rng)
    t0 = time.perf_counter()
    index = BandIndex(hasher)
    index.build(ids, sigs)
    build_s = time.perf_counter() - t0
    texts = [sample_text(rnd) for _ in range(50)]
    timings = []
    found_copies = 0
    for q in range(args.queries):
        is_copy = q % 2 == 0
        base = sigs[rng.integers(0, args.items)] if is_copy else None
        text = texts[q % len(texts)]
        t = time.perf_counter()
        sig_text = hasher.signature(sorted(prepare_body(text, shipped_outlets()).shingles))
        sig = perturb(base, 0.1, rng) if base is not None else sig_text
        matches = index.query(sig, THRESHOLD)
        timings.append((time.perf_counter() - t) * 1000)
        found_copies += bool(is_copy and matches)
    timings.sort()
    print(f"items stored            {args.items:,}")
    print(f"index build             {build_s:.1f} s")
    print(f"match one item median   {statistics.median(timings):.3f} ms")
    print(f"match one item p95      {timings[int(len(timings) * 0.95) - 1]:.3f} ms")
    print(f"copies found            {found_copies}/{(args.queries + 1) // 2}")
    print(f"peak memory (RSS)       {peak_mb():,.0f} MB")
    del index, sigs


def bench_speedup(args: argparse.Namespace, hasher: MinHasher) -> None:
    rng = np.random.default_rng(11)
    ids, sigs = generate(args.compare, hasher.num_perm, rng)
    index = BandIndex(hasher)
    index.build(ids, sigs)
    queries = [
        perturb(sigs[rng.integers(0, args.compare)], 0.12, rng) if i % 2 == 0 else sigs[i]
        for i in range(1000)
    ]
    t = time.perf_counter()
    lsh = [index.query(q, THRESHOLD) for q in queries]
    lsh_s = time.perf_counter() - t
    t = time.perf_counter()
    brute = [index.brute_force(q, THRESHOLD) for q in queries]
    brute_s = time.perf_counter() - t
    equal = lsh == brute
    print(
        f"speed-up on {args.compare:,} items  LSH {lsh_s * 1000:.0f} ms vs brute force "
        f"{brute_s * 1000:.0f} ms for 1000 queries = {brute_s / lsh_s:.1f}×; "
        f"equal results: {equal}"
    )
    if not equal:
        raise SystemExit("LSH and brute-force results differ")


def bench_sql(args: argparse.Namespace, hasher: MinHasher) -> None:
    if args.sql_items <= 0:
        return
    rng = np.random.default_rng(5)
    _, sigs = generate(args.sql_items, hasher.num_perm, rng)
    bands = hasher.band_hashes(sigs)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(f"sqlite:///{Path(tmp) / 'scale.db'}")
        with db.session() as s:
            src = Source(
                name="bench", url="https://bench.example.org/feed", kind="rss", language="en"
            )
            s.add(src)
            s.flush()
            s.execute(
                Item.__table__.insert(),
                [
                    {
                        "id": i + 1,
                        "source_id": src.id,
                        "entry_key": f"{i:064d}",
                        "url": f"https://bench.example.org/{i}",
                        "canonical_url": f"https://bench.example.org/{i}",
                        "title": "",
                        "summary": "",
                        "text": "",
                        "date_quality": "ok",
                        "first_seen_at": now,
                        "updated_at": now,
                        "arrived_via": "feed",
                        "fulltext_status": "none",
                        "revision": 1,
                    }
                    for i in range(args.sql_items)
                ],
            )
            rows = [
                {
                    "band_hash": int(h),
                    "item_id": i + 1,
                    "item_time": now - timedelta(minutes=i % 5000),
                }
                for i in range(args.sql_items)
                for h in bands[i]
            ]
            s.execute(DedupBand.__table__.insert(), rows)
        timings = []
        with db.session() as s:
            for _q in range(500):
                sig = perturb(sigs[int(rng.integers(0, args.sql_items))], 0.1, rng)
                t = time.perf_counter()
                stories.band_candidates(
                    s,
                    [int(h) for h in hasher.band_hashes(sig)],
                    now - timedelta(days=7),
                    now + timedelta(days=7),
                    exclude=-1,
                    limit=50,
                )
                timings.append((time.perf_counter() - t) * 1000)
        db.close()
    print(
        f"SQL band lookup (SQLite, {args.sql_items:,} items, {len(rows):,} band rows)  "
        f"median {statistics.median(timings):.2f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="dedup matching at scale")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--compare", type=int, default=10_000)
    parser.add_argument("--sql-items", type=int, default=20_000)
    args = parser.parse_args(argv)
    hasher = MinHasher(128, 4)
    bench_memory_index(args, hasher)
    bench_speedup(args, hasher)
    bench_sql(args, hasher)
    return 0


if __name__ == "__main__":
    sys.exit(main())
