"""Judging + folding one new item against archives of growing size.

    python bench/judge_fold.py [--sizes 1000,10000,100000] [--queries 300] [--per-day 300]

For each size, a fresh SQLite archive is filled with that many generated relevant items (English,
Russian and Persian; generated words, names and figures, no real articles) spread over
``size / per-day`` days, each judged by the shipped topic and indexed for dedup exactly as the
fold stage indexes it (signature, bands and keys through ``FoldStage._signature``), then stored in
bulk with its tags and a story of its own. Then ``--queries`` new items dated at the end of the
archive (a third reworded copies of archived items, a third other reports naming the same people
and figures, a third new) are stored one by one and run through the two stages as a crawl runs
them: :class:`~monitor.relevance.stage.JudgeStage` then
:class:`~monitor.dedup.stage.FoldStage`. Only those two calls are timed (storing the item and the
commit every 25 items are not). Prints the median and p95 per item, and the share of queries the
fold put in an existing story. Target: median ≤ 2 ms at 100,000 items.

A built archive is kept under ``build/bench-archives/`` (keyed by the generator's parameters,
this file and the topic) and copied for the next run with the same ones; ``--no-cache`` builds
afresh.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import pickle
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config import DedupSettings  # noqa: E402
from monitor.db import stories as story_db  # noqa: E402
from monitor.db.engine import Database  # noqa: E402
from monitor.db.models import DedupBand, DedupSignature, Item, ItemTag, Source, Story  # noqa: E402
from monitor.dedup import stage as fold_module  # noqa: E402
from monitor.dedup.stage import FoldStage, doc_from_row  # noqa: E402
from monitor.dedup.text import prepare_body  # noqa: E402
from monitor.dedup.vocabulary import CopyVocabulary  # noqa: E402
from monitor.explanation import explanation_to_json  # noqa: E402
from monitor.identity import content_fingerprint, title_key  # noqa: E402
from monitor.pipeline import StageContext  # noqa: E402
from monitor.relevance.matcher import Matcher  # noqa: E402
from monitor.relevance.stage import JudgeStage, judge_item, tag_values  # noqa: E402
from monitor.relevance.topic import load_topic  # noqa: E402

# the shipped topic's words and outlets; no generic entities, as this benchmark has always folded
VOCABULARY = replace(CopyVocabulary.shipped(), generic_entities=frozenset())
OUTLETS = VOCABULARY.outlets
CACHE = ROOT / "build" / "bench-archives"
# what a built archive depends on besides the generator's parameters: the generator (this file)
# and the topic; the judge and the indexing are the same in any version whose decisions are
CACHE_INPUTS = (Path(__file__), ROOT / "config" / "topics" / "iran-russia.yaml")

END = datetime(2025, 6, 1, tzinfo=UTC)
PAIR = {
    "en": ("Iran", "Russia", "Moscow", "Tehran"),
    "ru": ("Иран", "Россия", "Москва", "Тегеран"),
    "fa": ("ایران", "روسیه", "مسکو", "تهران"),
}
WORDS = {
    "en": (
        "the of and to in on for with said minister talks agreement trade gas oil corridor rail "
        "sanctions nuclear plant drones missiles navy drill port bank payment cooperation deal "
        "president visit delegation council security energy project loan contract wheat grain "
        "export import route caspian summit ministry statement official week month year meeting "
        "new first second third plan would could also signed parliament ratified"
    ).split(),
    "ru": (
        "и в на с по для что заявил министр переговоры соглашение торговля газ нефть коридор "
        "железная дорога санкции атомная станция беспилотники ракеты флот учения порт банк "
        "платежи сотрудничество сделка президент визит делегация совет безопасность энергетика "
        "проект кредит контракт пшеница зерно экспорт импорт маршрут каспий саммит министерство "
        "заявление неделя месяц год встреча новый первый план также подписали парламент"
    ).split(),
    "fa": (
        "و در به از با که این برای گفت وزیر مذاکرات توافق تجارت گاز نفت کریدور راه‌آهن تحریم "
        "هسته‌ای نیروگاه پهپاد موشک ناوگان رزمایش بندر بانک پرداخت همکاری قرارداد رئیس‌جمهور سفر "
        "هیئت شورا امنیت انرژی پروژه وام گندم صادرات واردات مسیر خزر اجلاس وزارت بیانیه هفته ماه "
        "سال دیدار جدید نخستین برنامه همچنین امضا مجلس"
    ).split(),
}
SYLLABLES = {
    "en": "ka ri mo sa le vo na de ta ro mi ze ba lu ko fa sh an ov ev".split(),
    "ru": "ка ри мо са ле во на де та ро ми зе ба лу ко фа ш ан ов ев".split(),
    "fa": "کا ری مو سا له وو نا ده تا رو می زه با لو کو فا ش ان اف".split(),
}


def _name(lang: str, rng: random.Random) -> str:
    word = "".join(rng.choice(SYLLABLES[lang]) for _ in range(rng.randint(2, 4)))
    return word[:1].upper() + word[1:]


class Generator:
    """Generated reports: function words, a Zipf-distributed vocabulary of generated content words
    (20,000 per language, so most stems are rare as in real news), a Zipf-distributed pool of names,
    figures, and the topic's two sides in every sentence."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._cumulative: dict[int, list[float]] = {}
        self.names = {lang: [_name(lang, self.rng) for _ in range(5000)] for lang in WORDS}
        self.vocab = {lang: [_name(lang, self.rng).lower() for _ in range(20000)] for lang in WORDS}

    def _zipf(self, pool: list[str]) -> str:
        """A word of ``pool`` with probability proportional to 1 / rank."""
        weights = self._cumulative.get(len(pool))
        if weights is None:
            weights = list(itertools.accumulate(1.0 / r for r in range(1, len(pool) + 1)))
            self._cumulative[len(pool)] = weights
        return pool[bisect.bisect(weights, self.rng.random() * weights[-1])]

    def _sentence(self, lang: str, people: list[str], figures: list[str]) -> str:
        rng = self.rng
        words = [
            rng.choice(WORDS[lang]) if rng.random() < 0.45 else self._zipf(self.vocab[lang])
            for _ in range(14)
        ]
        words.insert(rng.randint(0, 10), rng.choice(PAIR[lang][:2]))
        words.insert(rng.randint(0, 10), rng.choice(PAIR[lang][2:] + PAIR[lang][:2]))
        if people and rng.random() < 0.6:
            words.insert(rng.randint(0, 10), rng.choice(people))
        if figures and rng.random() < 0.3:
            words.insert(rng.randint(0, 10), rng.choice(figures))
        return " ".join(words) + "."

    def report(self, lang: str) -> dict[str, Any]:
        rng = self.rng
        people = [self._zipf(self.names[lang]) for _ in range(3)]
        figures = [f"{rng.randint(2, 900)}" for _ in range(2)]
        return self._write(lang, people, figures)

    def _write(self, lang: str, people: list[str], figures: list[str]) -> dict[str, Any]:
        rng = self.rng
        a, b = PAIR[lang][:2]
        topic = [self._zipf(self.vocab[lang][100:]) for _ in range(5)]
        title = f"{a} {b} {people[0]} {figures[0]} " + " ".join(topic)
        paras = [
            " ".join(self._sentence(lang, people, figures) for _ in range(rng.randint(2, 3)))
            for _ in range(rng.randint(3, 5))
        ]
        return {
            "lang": lang,
            "title": title,
            "text": "\n".join(paras),
            "people": people,
            "figures": figures,
        }

    def reworded(self, base: dict[str, Any]) -> dict[str, Any]:
        """A copy: a word in ten replaced, the last paragraph cut, the title reordered."""
        rng = self.rng
        words = base["text"].split(" ")
        for i in range(0, len(words), 10):
            words[min(len(words) - 1, i + rng.randint(0, 9))] = rng.choice(WORDS[base["lang"]])
        paras = " ".join(words).split("\n")
        text = "\n".join(paras[:-1] if len(paras) > 2 else paras)
        title = " ".join(reversed(base["title"].split()))
        return {**base, "title": title, "text": text}

    def same_event(self, base: dict[str, Any]) -> dict[str, Any]:
        """Another report naming the same people and figures in other words."""
        return self._write(base["lang"], base["people"], base["figures"])


def _fill(database: Database, matcher: Matcher, gen: Generator, size: int, per_day: int) -> list:
    """``size`` judged, indexed relevant items in bulk; returns the generated reports."""
    settings = DedupSettings()
    span = timedelta(days=max(1.0, size / per_day))
    reports: list[dict[str, Any]] = []
    rows, tags, sigs, bands, stories = [], [], [], [], []
    fold = FoldStage(settings, vocabulary=VOCABULARY)
    captured: list[dict[str, Any]] = []
    original = story_db.save_signature

    def capture(_session: Any, **kw: Any) -> None:
        captured.append(kw)

    story_db.save_signature = capture  # type: ignore[assignment]
    fold_module.db.save_signature = capture  # type: ignore[attr-defined]
    try:
        with database.session() as session:
            sources = [
                Source(
                    name=f"outlet {i}", url=f"http://127.0.0.1/{i}.xml", kind="rss", language=lang
                )
                for i, lang in enumerate(["en", "ru", "fa"] * 20)
            ]
            session.add_all(sources)
            session.flush()
            source_ids = [s.id for s in sources]
            next_id = 1
            pending: list[tuple[dict[str, Any], str]] = []
            story_id = 0
            while len(rows) < size:
                if not pending:  # a new event: 1 to 5 reports, a reworded copy now and then
                    lang = gen.rng.choice(["en", "en", "ru", "fa"])
                    base = gen.report(lang)
                    size_ = gen.rng.choice([1, 1, 1, 1, 2, 2, 3, 5])
                    pending = [(base, "lead")]
                    pending += [(gen.same_event(base), "related") for _ in range(size_ - 1)]
                    if gen.rng.random() < 0.2:
                        pending.append((gen.reworded(base), "copy"))
                    story_id = 0
                rep, role = pending.pop(0)
                when = END - span + span * (len(rows) / size)
                item = Item(
                    id=next_id,
                    title=rep["title"],
                    text=rep["text"],
                    summary="",
                    declared_language=lang,
                    language=lang,
                )
                judgement = judge_item(matcher, item)
                if not judgement.relevant:
                    if role == "lead":
                        pending = []
                    continue
                item_id = next_id
                next_id += 1
                if role == "lead" or not story_id:
                    story_id, role = item_id, "lead"
                reports.append(rep)
                rows.append(
                    {
                        "id": item_id,
                        "source_id": source_ids[item_id % len(source_ids)],
                        "entry_key": f"k{item_id}",
                        "url": f"http://127.0.0.1/a/{item_id}",
                        "canonical_url": f"http://127.0.0.1/a/{item_id}",
                        "title": rep["title"],
                        "summary": "",
                        "text": rep["text"],
                        "language": judgement.language,
                        "declared_language": lang,
                        "published_at": when,
                        "date_quality": "ok",
                        "first_seen_at": when,
                        "updated_at": when,
                        "relevant": True,
                        "score": judgement.score,
                        "explanation": explanation_to_json(judgement.explanation),
                        "content_hash": content_fingerprint(
                            rep["title"], prepare_body(rep["text"], OUTLETS).body, OUTLETS
                        ),
                        "title_key": title_key(rep["title"], OUTLETS),
                        "story_id": story_id,
                        "story_role": role,
                        "story_reason": {"signal": "new_story" if role == "lead" else role},
                    }
                )
                values = tag_values(judgement)
                tags += [
                    {"item_id": item_id, "kind": t.kind, "value": t.value, "evidence": []}
                    for t in values
                ]
                if role == "lead":
                    stories.append(
                        {
                            "id": item_id,
                            "lead_item_id": None,
                            "title": rep["title"],
                            "first_seen_at": when,
                            "last_item_at": when,
                            "item_count": 1,
                            "source_count": 1,
                        }
                    )
                row = story_db.FoldRow(
                    id=item_id,
                    source_id=rows[-1]["source_id"],
                    story_id=story_id,
                    story_role=role,
                    story_reason=None,
                    language=judgement.language,
                    title=rep["title"],
                    text=rep["text"],
                    time=when,
                    figures=frozenset(t.value for t in values if t.kind == "figure"),
                    themes=frozenset(t.value for t in values if t.kind == "theme"),
                    entities=frozenset(t.value for t in values if t.kind == "entity"),
                )
                fold._signature(session, doc_from_row(row, settings, VOCABULARY))
                kw = captured.pop()
                sigs.append(
                    {
                        "item_id": item_id,
                        "kind": kw["kind"],
                        "minhash": kw["minhash"],
                        "shingles": kw["shingles"],
                        "item_time": when,
                    }
                )
                bands += [
                    {"band_hash": int(h), "item_id": item_id, "item_time": when}
                    for h in sorted(set(kw["bands"]))
                ]
            for table, values in (
                (Story, stories),
                (Item, rows),
                (ItemTag, tags),
                (DedupSignature, sigs),
                (DedupBand, bands),
            ):
                for start in range(0, len(values), 5000):
                    session.execute(insert(table), values[start : start + 5000])
            session.execute(update(Story).values(lead_item_id=Story.id))
    finally:
        story_db.save_signature = original
        fold_module.db.save_signature = original  # type: ignore[attr-defined]
    return reports


def _cache_key(size: int, per_day: int, seed: int) -> str:
    digest = hashlib.sha256(f"{size}/{per_day}/{seed}".encode())
    for path in CACHE_INPUTS:
        digest.update(path.read_bytes())
    return f"{size}-{per_day}-{seed}-{digest.hexdigest()[:16]}"


def _build(
    path: Path, matcher: Matcher, gen: Generator, size: int, per_day: int, seed: int, cache: bool
) -> list[dict[str, Any]]:
    """The archive at ``path`` and its reports, ``gen`` left as after building it; reused from
    ``build/bench-archives`` when built before with the same parameters."""
    cached = CACHE / _cache_key(size, per_day, seed)
    if cache and (cached / "archive.db").exists():
        shutil.copyfile(cached / "archive.db", path)
        reports, state = pickle.loads((cached / "reports.pickle").read_bytes())
        gen.rng.setstate(state)
        return reports  # type: ignore[no-any-return]
    database = Database.open(f"sqlite:///{path}")
    reports = _fill(database, matcher, gen, size, per_day)
    database.engine.dispose()
    if cache:
        cached.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, cached / "archive.tmp")
        (cached / "reports.pickle").write_bytes(pickle.dumps((reports, gen.rng.getstate())))
        (cached / "archive.tmp").rename(cached / "archive.db")
    return reports


Observer = Callable[[Any, Item], None]


def measure(
    size: int,
    queries: int,
    per_day: int,
    seed: int,
    *,
    cache: bool = True,
    observe: Observer | None = None,
) -> dict[str, float]:
    """``observe(session, item)``: called after each query item is judged and folded."""
    topic = load_topic(ROOT / "config" / "topics" / "iran-russia.yaml")
    matcher = Matcher(topic)
    gen = Generator(seed)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        reports = _build(Path(tmp) / "bench.db", matcher, gen, size, per_day, seed, cache)
        built = time.perf_counter() - t0
        database = Database.open(f"sqlite:///{tmp}/bench.db")
        judge = JudgeStage(matcher)
        fold = FoldStage(DedupSettings(), vocabulary=VOCABULARY)
        ctx = StageContext(stats=Counter())
        timings: list[float] = []
        cpu: list[float] = []
        recent = reports[-min(len(reports), per_day * 3) :]
        session_cm = database.session()
        session = session_cm.__enter__()
        source_ids = [s.id for s in session.query(Source).all()]
        for q in range(queries):
            kind = q % 3
            if kind == 0:
                rep = gen.reworded(gen.rng.choice(recent))
            elif kind == 1:
                rep = gen.same_event(gen.rng.choice(recent))
            else:
                rep = gen.report(gen.rng.choice(["en", "en", "ru", "fa"]))
            when = END + timedelta(minutes=q)
            item = Item(
                source_id=source_ids[q % len(source_ids)],
                entry_key=f"q{q}",
                url=f"http://127.0.0.1/q/{q}",
                canonical_url=f"http://127.0.0.1/q/{q}",
                title=rep["title"],
                summary="",
                text=rep["text"],
                declared_language=rep["lang"],
                published_at=when,
                date_quality="ok",
                first_seen_at=when,
                updated_at=when,
                content_hash=content_fingerprint(
                    rep["title"], prepare_body(rep["text"], OUTLETS).body, OUTLETS
                ),
                title_key=title_key(rep["title"], OUTLETS),
            )
            session.add(item)
            session.flush()
            t, c = time.perf_counter(), time.process_time()
            judge.process(session, item, ctx)
            fold.process(session, item, ctx)
            timings.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            if observe is not None:
                observe(session, item)
            if q % 25 == 24:
                session_cm.__exit__(None, None, None)
                session_cm = database.session()
                session = session_cm.__enter__()
        session_cm.__exit__(None, None, None)
        database.engine.dispose()
    timings.sort()
    folded = ctx.stats["fold/copies"] + ctx.stats["fold/related"]
    return {
        "size": size,
        "build_s": built,
        "median_ms": statistics.median(timings) * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
        "p95_ms": timings[int(0.95 * (len(timings) - 1))] * 1000,
        "joined": folded / max(1, queries),
        "copies": ctx.stats["fold/copies"],
        "related": ctx.stats["fold/related"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--per-day", type=int, default=300, help="archived items per day")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-cache", action="store_true", help="build every archive (not from build/)")
    args = ap.parse_args()
    print(
        f"{'archive':>9} {'build s':>8} {'median ms':>10} {'cpu ms':>7} {'p95 ms':>8} {'joined':>7}"
        "  copies/related"
    )
    worst = 0.0
    for size in (int(s) for s in args.sizes.split(",")):
        r = measure(size, args.queries, args.per_day, args.seed, cache=not args.no_cache)
        worst = max(worst, r["median_ms"])
        print(
            f"{r['size']:>9,} {r['build_s']:>8.1f} {r['median_ms']:>10.2f} {r['cpu_ms']:>7.2f} "
            f"{r['p95_ms']:>8.2f} "
            f"{r['joined']:>7.2f}  {r['copies']}/{r['related']}",
            flush=True,
        )
    print(f"judge+fold median per item, worst size: {worst:.2f} ms (target <= 2 ms)")


if __name__ == "__main__":
    main()
