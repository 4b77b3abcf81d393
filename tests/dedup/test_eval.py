"""The labelled set meets the copy targets (precision ≥ 0.98, recall ≥ 0.95)."""

from __future__ import annotations

from pathlib import Path

from monitor.config import DedupSettings
from monitor.db.engine import Database
from monitor.dedup.evaluation import evaluate, load_labelled, pairwise

DATA = Path(__file__).resolve().parent.parent / "data" / "dedup" / "labelled.yaml"


def test_labelled_set_shape() -> None:
    items = load_labelled(DATA)
    assert len({i.key for i in items}) == len(items) >= 40
    assert {i.language for i in items} == {"en", "ru", "fa"}
    assert len({i.article for i in items}) < len(items)  # there are copy groups
    assert len({i.event for i in items}) < len(
        {i.article for i in items}
    )  # and multi-report events


def test_pairwise_scores() -> None:
    gold = {"a": 1, "b": 1, "c": 2}
    assert pairwise({"a": 1, "b": 1, "c": 2}, gold).precision == 1.0
    score = pairwise({"a": 1, "b": 1, "c": 1}, gold)
    assert score.false_pos == 2
    assert score.recall == 1.0
    assert pairwise({"a": 1, "b": 2, "c": 3}, gold).recall == 0.0


def test_eval_targets(sqlite_db: Database) -> None:
    report = evaluate(sqlite_db, DATA, DedupSettings())
    assert report.copies.precision >= 0.98, report.mistakes()
    assert report.copies.recall >= 0.95, report.mistakes()
    assert report.events.precision >= 0.9, report.mistakes()
    assert report.events.recall >= 0.8, report.mistakes()
