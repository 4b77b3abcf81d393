"""Relevance on the labelled development set: P/R/F1 per language for the matcher and for the naive
rule "both country names appear", then throughput on ~500-word items (one core).

    .venv/bin/python bench/relevance_eval.py [--data tests/data/relevance] [--topic FILE] [-v]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.relevance.evaluation import evaluate, load_labelled, long_items, throughput
from monitor.relevance.matcher import Matcher
from monitor.relevance.topic import load_topic

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "relevance")
    parser.add_argument(
        "--topic", type=Path, default=ROOT / "config" / "topics" / "iran-russia.yaml"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="List every wrong decision")
    args = parser.parse_args()

    matcher = Matcher(load_topic(args.topic))
    items = load_labelled(args.data)
    reports = evaluate(matcher, items)
    print(f"threshold {matcher.threshold}; {len(items)} labelled items")
    print(
        f"{'lang':<5}{'n':>4}  {'matcher P':>9} {'R':>6} {'F1':>6}   {'naive P':>7} {'R':>6} {'F1':>6}  lang-id"
    )
    for r in reports:
        m, n = r.matcher, r.naive
        print(
            f"{r.language:<5}{r.items:>4}  {m.precision:>9.3f} {m.recall:>6.3f} {m.f1:>6.3f}"
            f"   {n.precision:>7.3f} {n.recall:>6.3f} {n.f1:>6.3f}  {r.detected_ok}/{r.items}"
        )
        if args.verbose:
            for e in r.errors:
                print(f"      miss: {e}")
    docs = long_items(items, 500)
    words = sum(len(t.split()) + len(b.split()) for t, b in docs) / len(docs)
    rate = throughput(matcher, docs)
    print(
        f"speed: {rate:,.0f} items/s on one core ({len(docs)} items, {words:.0f} words on average)"
    )


if __name__ == "__main__":
    main()
