"""Reviewer labels: stored with reviewer and time, winning over rescore and dedup rebuild, and
``monitor eval`` checked against an independent computation over the same archive and labels."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.config import DedupSettings
from monitor.db.engine import Database
from monitor.db.labels import list_labels, relevance_overrides
from monitor.db.models import Item
from monitor.dedup.service import rebuild
from monitor.feedback.apply import label_pair, label_relevance
from monitor.feedback.evaluate import evaluate_labels
from monitor.paths import shipped_config_dir
from monitor.relevance.evaluation import load_labelled
from monitor.relevance.matcher import Matcher
from monitor.relevance.rescore import rescore
from monitor.relevance.topic import load_topic
from tests.digest.support import T0, Archive, hours

DATA = Path(__file__).resolve().parent.parent / "data" / "relevance"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_topic(shipped_config_dir() / "topics" / "iran-russia.yaml"))


def _seed(db: Database, per_language: int = 12) -> dict[str, list[tuple[int, bool]]]:
    """Items from the labelled development set: ``language → [(item id, true label)]``."""
    out: dict[str, list[tuple[int, bool]]] = {}
    with db.session() as s:
        a = Archive(s)
        for lang in ("en", "ru", "fa"):
            rows = [i for i in load_labelled(DATA) if i.language == lang][:per_language]
            out[lang] = []
            for n, row in enumerate(rows):
                item = a.item(f"Desk {lang}", row.title, language=lang, at=T0 + hours(n),
                              relevant=False, score=0.0)  # fmt: skip
                item.text = row.body
                out[lang].append((item.id, row.label))
    return out


def _independent(db: Database, matcher: Matcher) -> dict[str, tuple[int, int, int, int]]:
    """tp, fp, fn, tn per language, computed without monitor.feedback or monitor.db.labels."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT l.item_id, l.kind, i.title, i.summary, i.text, i.language "
                "FROM labels l JOIN items i ON i.id = l.item_id "
                "WHERE l.id IN (SELECT MAX(id) FROM labels "
                "WHERE kind IN ('relevant', 'not_relevant') GROUP BY item_id)"
            )
        ).all()
    counts: dict[str, Counter[str]] = {}
    for _, kind, title, summary, body, lang in rows:
        judged = matcher.judge(title, (body or summary or "").strip(), lang).relevant
        truth = kind == "relevant"
        key = {(True, True): "tp", (True, False): "fp", (False, True): "fn", (False, False): "tn"}
        counts.setdefault(lang, Counter())[key[(judged, truth)]] += 1
    return {lang: (c["tp"], c["fp"], c["fn"], c["tn"]) for lang, c in counts.items()}


def test_eval_agrees_with_an_independent_computation(db: Database, matcher: Matcher) -> None:
    seeded = _seed(db)
    for items in seeded.values():
        for n, (item_id, truth) in enumerate(items):
            # a first label, then a correction: only the newest counts
            label_relevance(db, item_id, not truth, reviewer="first")
            if n % 5 != 0:  # every fifth keeps the wrong label: disagreements guaranteed
                label_relevance(db, item_id, truth, reviewer="second")
    report = evaluate_labels(db, matcher, topic="iran-russia")
    got = {
        lang.language: (lang.scores.tp, lang.scores.fp, lang.scores.fn, lang.scores.tn)
        for lang in report.languages
    }
    assert got == _independent(db, matcher)
    assert set(got) == {"en", "ru", "fa"}
    assert all(sum(v) == 12 for v in got.values())
    for lang in report.languages:
        s = lang.scores
        assert len(lang.disagreements) == s.fp + s.fn
        assert s.precision == (s.tp / (s.tp + s.fp) if s.tp + s.fp else 1.0)
        assert s.recall == (s.tp / (s.tp + s.fn) if s.tp + s.fn else 1.0)
        for d in lang.disagreements:
            assert d.terms or d.points or not d.labelled_relevant  # a kept item names its terms


def test_labels_keep_reviewer_and_time_and_win_over_rescore(db: Database, matcher: Matcher) -> None:
    seeded = _seed(db, per_language=4)
    (relevant_id, truth), *_ = [(i, t) for i, t in seeded["en"] if t]
    assert truth
    label_relevance(db, relevant_id, False, reviewer="ana")
    with db.session() as s:
        (label,) = list_labels(s)
        assert label.reviewer == "ana"
        assert label.created_at is not None
        assert s.get(Item, relevant_id).relevant is False  # type: ignore[union-attr]
    dry = rescore(db, matcher, dry_run=True)
    assert [c.item_id for c in dry.conflicts] == [relevant_id]
    done = rescore(db, matcher)
    assert [c.item_id for c in done.conflicts] == [relevant_id]
    with db.session() as s:
        item = s.get(Item, relevant_id)
        assert item is not None
        assert item.relevant is False
        assert item.explanation["label"] == {"relevant": False, "rules_said": True}  # type: ignore[index]
        assert relevance_overrides(s) == {relevant_id: False}


def test_pair_labels_win_over_folding_and_survive_rebuild(db: Database) -> None:
    settings = DedupSettings()
    text_a = "Iran and Russia signed a gas swap agreement in Tehran on Monday. " * 6
    with db.session() as s:
        a = Archive(s)
        first = a.item("Wire A", "Gas swap deal signed", at=T0)
        copy = a.item("Wire B", "Gas swap deal signed", at=T0 + hours(1))
        other = a.item("Wire C", "Naval drill in the Caspian Sea", at=T0 + hours(2))
        for it in (first, copy):
            it.text = text_a
        other.text = "Russian and Iranian warships held a drill near Bandar Anzali. " * 6
        ids = first.id, copy.id, other.id
    rebuild(db, settings)

    def stories() -> tuple[int | None, int | None, int | None]:
        with db.session() as s:
            got = [s.get(Item, i) for i in ids]
            return tuple(i.story_id if i else None for i in got)  # type: ignore[return-value]

    a_story, b_story, c_story = stories()
    assert a_story == b_story != c_story  # the rules fold the copy
    label_pair(db, ids[0], ids[1], False, reviewer="ana")
    label_pair(db, ids[0], ids[2], True, reviewer="ana")
    a_story, b_story, c_story = stories()
    assert a_story != b_story
    assert a_story == c_story
    rebuild(db, settings)  # the labels still win over the rules
    a_story, b_story, c_story = stories()
    assert a_story != b_story
    assert a_story == c_story
