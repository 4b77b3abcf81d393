"""Pairwise precision and recall of dedup on the labelled set.

    python bench/dedup_eval.py [--data tests/data/dedup/labelled.yaml] [--mistakes]

Folds every labelled item with the real FoldStage into a fresh SQLite archive (a temporary file)
and prints precision/recall for copy groups and for same-event grouping (stories).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from monitor.config import DedupSettings
from monitor.db.engine import Database
from monitor.dedup.evaluation import evaluate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "tests" / "data" / "dedup" / "labelled.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--mistakes", action="store_true", help="list every wrong pair")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        database = Database.open(f"sqlite:///{Path(tmp) / 'eval.db'}")
        try:
            report = evaluate(database, args.data, DedupSettings())
        finally:
            database.close()
    print(
        f"labelled items: {report.items}  fold stats: {dict(sorted(report.folded.stats.items()))}"
    )
    for name, score in (("copies", report.copies), ("same event", report.events)):
        print(
            f"{name:<11} precision {score.precision:.3f}  recall {score.recall:.3f}  "
            f"(tp {score.true_pos}, fp {score.false_pos}, fn {score.false_neg})"
        )
    if args.mistakes:
        for line in report.mistakes():
            print("  " + line)
    ok = report.copies.precision >= 0.98 and report.copies.recall >= 0.95
    print("copy targets (P ≥ 0.98, R ≥ 0.95):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
