"""Every judge and fold decision on fixed inputs, one JSON line each, to diff two versions.

    python bench/decision_dump.py [--sizes 1000] [--queries 300] > decisions.jsonl

Three sources, each decision written as it stands once its item is folded:

- the queries of ``bench/judge_fold.py`` (archives of ``--sizes`` items): relevant?, score, tags,
  story id, role and reason (signal, similarity, matched item, detail) and the story's members;
  then every story event the queries caused (merges with their signal and similarity);
- the labelled dedup sets (``tests/data/dedup/*.yaml``): each item's story, copy group and reason;
- the labelled relevance set (``tests/data/relevance``): each item's judgement and tags.

Two versions decide alike when their dumps are byte-identical (``diff``/``cmp``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import judge_fold  # noqa: E402

from monitor.config import DedupSettings  # noqa: E402
from monitor.db.engine import Database  # noqa: E402
from monitor.db.models import Item, ItemTag, StoryEvent  # noqa: E402
from monitor.dedup.evaluation import evaluate  # noqa: E402
from monitor.relevance.evaluation import load_labelled  # noqa: E402
from monitor.relevance.matcher import Matcher  # noqa: E402
from monitor.relevance.stage import judge_text, tag_values  # noqa: E402
from monitor.relevance.topic import load_topic  # noqa: E402


def _line(record: dict[str, Any]) -> None:
    print(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str))


def bench_queries(size: int, queries: int) -> None:
    first_item: list[int] = []

    def observe(session: Any, item: Item) -> None:
        if not first_item:
            first_item.append(item.id)
        tags = session.execute(
            select(ItemTag.kind, ItemTag.value).where(ItemTag.item_id == item.id)
        ).all()
        members = (
            session.scalars(select(Item.id).where(Item.story_id == item.story_id)).all()
            if item.story_id is not None
            else []
        )
        _line(
            {
                "source": f"bench/{size}",
                "item": item.entry_key,
                "relevant": item.relevant,
                "score": item.score,
                "language": item.language,
                "tags": sorted(f"{k}:{v}" for k, v in tags),
                "story": item.story_id,
                "role": item.story_role,
                "reason": item.story_reason,
                "members": sorted(members),
            }
        )

    def events(session: Any, item: Item) -> None:
        observe(session, item)
        if item.entry_key == f"q{queries - 1}":  # the last query: every event since the first
            rows = session.execute(
                select(StoryEvent)
                .where(StoryEvent.item_id >= first_item[0])
                .order_by(StoryEvent.id)
            ).scalars()
            for e in rows:
                _line(
                    {
                        "source": f"bench/{size}/event",
                        "story": e.story_id,
                        "item": e.item_id,
                        "signal": e.signal,
                        "role": e.role,
                        "similarity": e.similarity,
                        "matched": e.matched_item_id,
                        "detail": e.detail,
                    }
                )

    judge_fold.measure(size, queries, 300, 7, observe=events)


def dedup_sets() -> None:
    for path in sorted((ROOT / "tests" / "data" / "dedup").glob("*.yaml")):
        with tempfile.TemporaryDirectory() as tmp:
            database = Database.open(f"sqlite:///{Path(tmp) / 'eval.db'}")
            try:
                report = evaluate(database, path, DedupSettings())
            finally:
                database.close()
        folded = report.folded
        for key in sorted(folded.story):
            _line(
                {
                    "source": f"dedup/{path.name}",
                    "item": key,
                    "story": folded.story[key],
                    "copy_of": folded.copy_root[key],
                    "reason": folded.reasons[key],
                }
            )
        _line({"source": f"dedup/{path.name}/stats", "stats": dict(sorted(folded.stats.items()))})


def relevance_set() -> None:
    matcher = Matcher(load_topic(ROOT / "config" / "topics" / "iran-russia.yaml"))
    for it in load_labelled(ROOT / "tests" / "data" / "relevance"):
        j = judge_text(matcher, it.title, None, it.body, it.language)
        _line(
            {
                "source": "relevance",
                "item": it.id,
                "relevant": j.relevant,
                "score": j.score,
                "language": j.language,
                "tags": sorted(f"{t.kind}:{t.value}" for t in tag_values(j)),
            }
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000")
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    relevance_set()
    dedup_sets()
    for size in (int(s) for s in args.sizes.split(",")):
        bench_queries(size, args.queries)


if __name__ == "__main__":
    main()
