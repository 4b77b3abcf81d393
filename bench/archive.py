"""Build a large generated archive and measure the reading paths (library and rendered page).

    python bench/archive.py                 # 1,000,000 items (several minutes, ~2 GB)
    python bench/archive.py --items 100000  # a quick run

The archive has stories like a real one (most relevant reports open a story; some join the one
before as copies or related reports), themes, key figures and entities. Prints build time,
database size, and p50/p95 of:

- two-word searches through ``monitor.db.read.items.search`` (items, newest by publication);
- the same searches grouped by story (``search_grouped``) and ``GET /search`` (the page);
- the river of stories (``river``, pages 1 to 4) and ``GET /`` (the page);
- the bare SQL of the same shapes in the same run: the FTS5 query that returns the first page of
  story groups newest first (``GROUP BY`` story, ``ORDER BY`` newest match), the FTS5 query newest
  by arrival (rowid) that the search walks, and the river's story query.

Targets on SQLite: grouped search and river p95 <= 100 ms (library), pages p95 <= 200 ms.
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
from monitor.db.models import Item, ItemTag, Source, Story  # noqa: E402
from monitor.db.read.items import search, search_grouped  # noqa: E402
from monitor.db.read.river import river  # noqa: E402
from monitor.db.readers import reader_id  # noqa: E402
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
ENTITIES = ("Bushehr nuclear power plant", "Rasht–Astara railway", "Caspian Sea", "Su-35")
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
    story_id = 0
    open_story: dict[str, object] | None = None  # the story the next reports may join
    with db.engine.connect() as conn, bulk_loading(conn):
        if db.dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
            conn.commit()
        while item_id < n_items:
            items: list[dict[str, object]] = []
            tags: list[dict[str, object]] = []
            stories: list[dict[str, object]] = []
            for _ in range(min(BATCH, n_items - item_id)):
                item_id += 1
                lang, vocab = LANGS[rng.randrange(3)]
                title = " ".join(_zipf_words(rng, vocab, 8)).capitalize()
                body = " ".join(_zipf_words(rng, vocab, 70)) + "."
                when = t0 + step * item_id
                relevant = rng.random() < 0.3
                role = None
                if relevant:
                    joins = open_story is not None and rng.random() < 0.35
                    if not joins:
                        story_id += 1
                        open_story = {
                            "id": story_id,
                            "lead_item_id": None,
                            "title": title,
                            "first_seen_at": when,
                            "last_item_at": when,
                            "item_count": 0,
                            "source_count": 0,
                            "created_at": when,
                        }
                        stories.append(open_story)
                        role = "lead"
                    else:
                        role = "copy" if rng.random() < 0.5 else "related"
                    assert open_story is not None
                    if role == "lead":
                        open_story["lead_item_id"] = item_id
                    open_story["last_item_at"] = when
                    open_story["item_count"] = int(open_story["item_count"]) + 1  # type: ignore[call-overload]
                    open_story["source_count"] = open_story["item_count"]
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
                        "story_id": open_story["id"] if role else None,
                        "story_role": role,
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
                    if rng.random() < 0.1:
                        tags.append(
                            {
                                "item_id": item_id,
                                "kind": "entity",
                                "value": rng.choice(ENTITIES),
                                "evidence": [],
                            }
                        )
            with conn.begin():
                if stories:
                    # the lead is set once its item exists (the foreign key is checked at once)
                    conn.execute(
                        insert(Story.__table__), [{**st, "lead_item_id": None} for st in stories]
                    )
                conn.execute(insert(Item.__table__), items)
                if stories:
                    conn.execute(
                        text(
                            "UPDATE stories SET lead_item_id = (SELECT min(i.id) FROM items i "
                            "WHERE i.story_id = stories.id AND i.story_role = 'lead') "
                            "WHERE id BETWEEN :a AND :b"
                        ),
                        {"a": stories[0]["id"], "b": stories[-1]["id"]},
                    )
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


def _timed(runs: list[object], call: object) -> list[float]:
    out = []
    for arg in runs:
        t = time.perf_counter()
        call(arg)  # type: ignore[operator]
        out.append((time.perf_counter() - t) * 1000)
    return out


BARE_GROUPED = (
    "SELECT coalesce(items.story_id, -items.id) AS g, max(items.sort_at) AS t "
    "FROM items_fts JOIN items ON items.id = items_fts.rowid "
    "WHERE items_fts MATCH :q AND items.relevant = 1 GROUP BY g ORDER BY t DESC LIMIT 26"
)
BARE_ARRIVAL = (
    "SELECT items.id FROM items_fts JOIN items ON items.id = items_fts.rowid "
    "WHERE items_fts MATCH :q AND items.relevant = 1 ORDER BY items_fts.rowid DESC LIMIT 26"
)
BARE_RIVER = (
    "SELECT s.id FROM stories s WHERE EXISTS (SELECT 1 FROM items i WHERE i.story_id = s.id "
    "AND i.relevant = 1) ORDER BY s.last_item_at DESC, s.id DESC LIMIT 26"
)


def measure(db: Database, config: AppConfig, n_queries: int) -> dict[str, list[float]]:
    from starlette.testclient import TestClient

    from monitor.search.compile import to_fts5
    from monitor.web import create_app

    qs = queries(n_queries)
    out: dict[str, list[float]] = {}

    def lib_search(q: object) -> None:
        with db.session() as s:
            search(s, SearchFilters(query=str(q)), page_size=25)

    def lib_grouped(q: object) -> None:
        with db.session() as s:
            search_grouped(s, SearchFilters(query=str(q)), page_size=25)

    with db.session() as s:
        reader = reader_id(s, "bench")

    def lib_river(page: object) -> None:
        with db.session() as s:
            river(s, reader, page=int(page), page_size=25)  # type: ignore[call-overload]

    def bare(sql: str) -> object:
        def run(q: object) -> None:
            fts = to_fts5(SearchFilters(query=str(q)).parsed()) if q else None  # type: ignore[arg-type]
            with db.engine.connect() as conn:
                conn.execute(text(sql), {"q": fts} if fts else {}).all()

        return run

    client = TestClient(create_app(config, db), base_url="http://127.0.0.1")
    client.get("/search")  # warm the filter choices and the name table
    client.get("/")

    def page(path: str) -> object:
        def run(arg: object) -> None:
            resp = client.get(path, params=arg)  # type: ignore[arg-type]
            assert resp.status_code == 200

        return run

    pages = [1, 2, 3, 4] * max(1, n_queries // 4)
    sqlite = db.dialect == "sqlite"
    out["search (items)"] = _timed(list(qs), lib_search)
    out["grouped search"] = _timed(list(qs), lib_grouped)
    if sqlite:
        out["  bare FTS5, grouped, newest"] = _timed(list(qs), bare(BARE_GROUPED))
        out["  bare FTS5, by arrival"] = _timed(list(qs), bare(BARE_ARRIVAL))
    out["GET /search"] = _timed([{"q": q} for q in qs], page("/search"))
    out["river"] = _timed(list(pages), lib_river)
    out["  bare river SQL"] = _timed([None] * len(pages), bare(BARE_RIVER))
    out["GET /"] = _timed([{"page": p} for p in pages], page("/"))
    return out


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
    topic = ROOT / "config" / "topics" / "iran-russia.yaml"
    config = AppConfig(
        config_dir=tmp,
        settings=Settings.model_validate({"data_dir": str(tmp), "topic": str(topic)}),
    )
    if not args.reuse:
        print(f"building {args.items:,} items in {url}", flush=True)
        seconds = build(db, args.items)
        print(f"build time: {seconds:.1f} s ({args.items / seconds:,.0f} items/s)")
    if db.dialect == "sqlite":
        path = Path(db.engine.url.database or "")
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        print(f"database size: {size / 1e6:,.0f} MB")
    res = measure(db, config, args.queries)
    print(f"{args.queries} two-word queries; river pages 1-4 (ms):")
    for name, values in res.items():
        print(f"{name:<32} p50 {statistics.median(values):7.1f}   p95 {_pct(values, 95):7.1f}")
    db.close()


if __name__ == "__main__":
    main()
