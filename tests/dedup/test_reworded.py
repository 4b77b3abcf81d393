"""Hard cases of real reporting (tests/data/dedup/reworded.yaml): reworded syndication, a Solar
Hijri copy, one event in three languages, and the same ministers or agreement at two events."""

from __future__ import annotations

from pathlib import Path

from monitor.config import DedupSettings
from monitor.db.engine import Database
from monitor.dedup.evaluation import evaluate, load_labelled

DATA = Path(__file__).resolve().parent.parent / "data" / "dedup" / "reworded.yaml"


def test_reworded_set_shape() -> None:
    items = load_labelled(DATA)
    assert {i.language for i in items} == {"en", "ru", "fa"}
    spun = next(i for i in items if i.key == "w1.c1")
    original = next(i for i in items if i.key == "w1")
    assert spun.text != original.text
    assert spun.article == original.article


def test_reworded_copies_and_events(sqlite_db: Database) -> None:
    report = evaluate(sqlite_db, DATA, DedupSettings())
    # every reworded, trimmed, extended, re-credited and Solar Hijri copy is folded
    assert report.copies.recall == 1.0, report.mistakes()
    assert report.copies.precision == 1.0, report.mistakes()
    # two meetings of the same ministers, and a signing and its ratification, stay apart
    assert report.events.precision == 1.0, report.mistakes()
    assert report.events.recall >= 0.85, report.mistakes()
    mistakes = report.mistakes()
    assert not any("w4" in m or "w6" in m for m in mistakes), mistakes  # three-language event
