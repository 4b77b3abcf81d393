"""Build a large generated archive and measure search latency (library and rendered page).

    python bench/archive.py                 # 1,000,000 items (several minutes)
    python bench/archive.py --items 100000  # a quick run

Prints build time, database size, and p50/p95 of two-word searches through
``monitor.db.read.items.search`` and of ``GET /search`` rendered by the web app (Starlette TestClient).
Targets on SQLite: search p95 <= 100 ms, page p95 <= 200 ms.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config import AppConfig, Settings  # noqa: E402
from monitor.db.engine import Database  # noqa: E402
from monitor.db.fts import bulk_loading  # noqa: E402
from monitor.db.models import Item, ItemTag, Source  # noqa: E402
from monitor.db.read.items import search  # noqa: E402
from monitor.search.filters import SearchFilters  # noqa: E402

# generated vocabularies (no real articles): common words first, so choices are Zipf-like
EN = (
    "iran russia moscow tehran sanctions oil gas deal talks minister president military drills "
    "nuclear agreement trade corridor rail bank ruble rial energy caspian navy drone missile "
    "security council treaty visit summit foreign ministry defence export import wheat grain "
    "pipeline port shipping insurance payment system satellite launch space cooperation "
    "strategic partnership economic forum investment budget parliament election protest court "
    "report analysts officials sources statement interview week month year region border syria "
    "armenia azerbaijan turkey china india europe washington israel gulf market price inflation"
).split()
RU = (
    "иран россия москва тегеран санкции нефть газ сделка переговоры министр президент учения "
    "ядерный соглашение торговля коридор железная дорога банк рубль риал энергетика каспий флот "
    "беспилотник ракета безопасность совет договор визит саммит сотрудничество партнерство "
    "экономика форум инвестиции бюджет парламент выборы суд доклад эксперты заявление регион"
).split()
FA = (
    "ایران روسیه مسکو تهران تحریم نفت گاز توافق مذاکره وزیر رئیس جمهور رزمایش هسته ای قرارداد "
    "تجارت کریدور راه آهن بانک روبل ریال انرژی خزر نیروی دریایی پهپاد موشک امنیت شورا سفر "
    "همکاری راهبردی اقتصاد سرمایه گذاری بودجه مجلس انتخابات دادگاه گزارش کارشناسان منطقه"
).split()
LANGS = (("en", EN), ("ru", RU), ("fa", FA))
THEMES = ("military", "economy", "nuclear", "diplomacy", "treaty", "regional")
FIGURES = ("Vladimir Putin", "Masoud Pezeshkian", "Sergei Lavrov", "Abbas Araghchi")
BATCH = 20_000


_CUM: dict[int, list[float]] = {}


def _zipf_words(rng: random.Random, vocab: list[str], n: int) -> list[str]:
    cum = _CUM.get(len(vocab))
    if cum is None:
        cum = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(vocab))))
        _CUM[len(vocab)] = cum
    return rng.choices(vocab, cum_weights=cum, k=n)


def build(db: Database, n_items: int, seed: int = 1) -> float:
    rng = random.Random(seed)
    start = time.perf_counter()
    with db.session() as s:
        for i in range(60):
            lang = LANGS[i % 3][0]
            s.add(
                Source(
                    name=f"Outlet {i:02d}",
                    url=f"https://o{i}.example.org/feed",
                    kind="rss",
                    language=lang,
                )
            )
    with db.engine.connect() as conn:
        source_ids = [r[0] for r in conn.execute(text("SELECT id FROM sources ORDER BY id"))]
    t0 = datetime(2023, 1, 1, tzinfo=UTC)
    step = timedelta(days=3 * 365) / max(n_items, 1)
    item_id = 0
    with db.engine.connect() as conn, bulk_loading(conn):
        if db.dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
            conn.commit()
        while item_id < n_items:
            items: list[dict[str, object]] = []
            tags: list[dict[str, object]] = []
            for _ in range(min(BATCH, n_items - item_id)):
                item_id += 1
                lang, vocab = LANGS[rng.randrange(3)]
                title = " ".join(_zipf_words(rng, vocab, 8)).capitalize()
                body = " ".join(_zipf_words(rng, vocab, 70)) + "."
                when = t0 + step * item_id
                relevant = rng.random() < 0.3
                items.append(
                    {
                        "id": item_id,
                        "source_id": source_ids[rng.randrange(len(source_ids))],
                        "entry_key": f"{item_id:064x}",
                        "url": f"https://news.example.org/{lang}/{item_id}",
                        "canonical_url": f"https://news.example.org/{lang}/{item_id}",
                        "title": title,
                        "summary": "",
                        "text": body,
                        "language": lang,
                        "published_at": when,
                        "first_seen_at": when,
                        "updated_at": when,
                        "date_quality": "ok",
                        "arrived_via": "feed",
                        "fulltext_status": "none",
                        "revision": 1,
                        "relevant": relevant,
                        "score": round(rng.uniform(2, 9), 2)
                        if relevant
                        else round(rng.uniform(0, 2), 2),
                    }
                )
                if relevant:
                    for theme in rng.sample(THEMES, rng.randint(1, 2)):
                        tags.append(
                            {"item_id": item_id, "kind": "theme", "value": theme, "evidence": []}
                        )
                    if rng.random() < 0.2:
                        tags.append(
                            {
                                "item_id": item_id,
                                "kind": "figure",
                                "value": rng.choice(FIGURES),
                                "evidence": [],
                            }
                        )
            with conn.begin():
                conn.execute(insert(Item.__table__), items)
                if tags:
                    conn.execute(insert(ItemTag.__table__), tags)
            if item_id % 100_000 == 0:
                print(f"  {item_id:,} items, {time.perf_counter() - start:.0f} s", flush=True)
    with db.engine.begin() as conn:
        if db.dialect == "sqlite":
            conn.exec_driver_sql("INSERT INTO items_fts(items_fts) VALUES ('optimize')")
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - start


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def queries(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        _lang, vocab = LANGS[rng.randrange(3)]
        a, b = rng.sample(vocab[:40], 2)
        out.append(f"{a} {b}")
    return out


def measure(db: Database, config: AppConfig, n_queries: int) -> dict[str, float]:
    from starlette.testclient import TestClient

    from monitor.web import create_app

    qs = queries(n_queries)
    lib: list[float] = []
    for q in qs:
        t = time.perf_counter()
        with db.session() as s:
            search(s, SearchFilters(query=q), page_size=25)
        lib.append((time.perf_counter() - t) * 1000)
    client = TestClient(create_app(config, db), base_url="http://127.0.0.1")
    client.get("/search")  # warm the filter choices
    page: list[float] = []
    for q in qs:
        t = time.perf_counter()
        resp = client.get("/search", params={"q": q})
        page.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200
    return {
        "search_p50": statistics.median(lib),
        "search_p95": _pct(lib, 95),
        "page_p50": statistics.median(page),
        "page_p95": _pct(page, 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--db", help="Database URL (default: a new SQLite file in a temp dir)")
    parser.add_argument(
        "--reuse", action="store_true", help="Measure an archive built earlier at --db"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="monitor-bench-"))
    url = args.db or f"sqlite:///{tmp / 'archive.db'}"
    db = Database.open(url)
    config = AppConfig(config_dir=tmp, settings=Settings.model_validate({"data_dir": str(tmp)}))
    if not args.reuse:
        print(f"building {args.items:,} items in {url}", flush=True)
        seconds = build(db, args.items)
        print(f"build time: {seconds:.1f} s ({args.items / seconds:,.0f} items/s)")
    if db.dialect == "sqlite":
        path = Path(db.engine.url.database or "")
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        print(f"database size: {size / 1e6:,.0f} MB")
    res = measure(db, config, args.queries)
    print(
        f"search (2 words, {args.queries} queries): p50 {res['search_p50']:.1f} ms, p95 {res['search_p95']:.1f} ms"
    )
    print(f"search page (GET /search): p50 {res['page_p50']:.1f} ms, p95 {res['page_p95']:.1f} ms")
    db.close()


if __name__ == "__main__":
    main()
