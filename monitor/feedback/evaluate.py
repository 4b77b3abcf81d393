"""``monitor eval``: the current topic measured against every reviewer label in the archive.

Relevance: each item whose label in force is "relevant" or "not relevant" is judged again with the
current topic (the stored decision is not used: a label already overrides it); per language
(the item's detected language, else its declared one, else its source's) the counts of true and
false positives and negatives give precision, recall and F1. Every disagreement lists the rules
and terms behind the topic's decision: its points, its include/exclude rules, the matched terms.

Stories: each pair labelled "same story" or "not the same story" agrees when the two items share a
story (or not) in the archive now; a disagreement names both stories and how each item joined.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from monitor.db import labels as q
from monitor.db.engine import Database
from monitor.db.models import Item
from monitor.explanation import Explanation
from monitor.relevance.evaluation import Scores
from monitor.relevance.matcher import Matcher
from monitor.relevance.stage import judge_item


@dataclass(frozen=True)
class Disagreement:
    item_id: int
    title: str
    labelled_relevant: bool
    score: float
    threshold: float
    reviewer: str
    points: tuple[str, ...]  # the topic's points and penalties
    rules: tuple[str, ...]  # include/exclude rules that fired
    terms: tuple[str, ...]  # matched terms (side: form)


@dataclass(frozen=True)
class LanguageEval:
    language: str
    scores: Scores
    disagreements: tuple[Disagreement, ...]

    @property
    def labelled(self) -> int:
        s = self.scores
        return s.tp + s.fp + s.fn + s.tn


@dataclass(frozen=True)
class PairDisagreement:
    item_id: int
    other_item_id: int
    labelled_same: bool
    story_id: int | None
    other_story_id: int | None
    signals: tuple[str, str]  # how each item joined its story


@dataclass
class EvalReport:
    topic: str
    threshold: float
    languages: list[LanguageEval] = field(default_factory=list)
    pairs: int = 0
    pairs_agree: int = 0
    pair_disagreements: list[PairDisagreement] = field(default_factory=list)

    @property
    def overall(self) -> Scores:
        tp = sum(lang.scores.tp for lang in self.languages)
        fp = sum(lang.scores.fp for lang in self.languages)
        fn = sum(lang.scores.fn for lang in self.languages)
        tn = sum(lang.scores.tn for lang in self.languages)
        return Scores(tp, fp, fn, tn)


def item_language(item: Item) -> str:
    lang = item.language or item.declared_language
    if not lang and item.source is not None:
        lang = item.source.language
    return (lang or "unknown").lower()


def _why(explanation: Explanation) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    points = [f"{p.points:+.2f} {p.reason} ({p.where})" for p in explanation.points]
    points += [f"×{p.factor:.2f} {p.reason}" for p in explanation.penalties]
    rules = [f"{r.points:+.2f} {r.kind} rule {r.rule!r}" for r in explanation.rules]
    terms: list[str] = []
    for side, entries in explanation.sides.items():
        terms += [f"{side}: {e.form}" for e in entries]
    terms += [f"bilateral: {e.form}" for e in explanation.bilateral]
    return tuple(points), tuple(rules), tuple(dict.fromkeys(terms))  # each term once


def evaluate_labels(db: Database, matcher: Matcher, *, topic: str = "") -> EvalReport:
    report = EvalReport(topic=topic, threshold=matcher.threshold)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # tp fp fn tn
    wrong: dict[str, list[Disagreement]] = defaultdict(list)
    with db.session() as s:
        labels = q.relevance_labels(s)
        ids = sorted(labels)
        for start in range(0, len(ids), 500):
            items = s.scalars(
                select(Item)
                .where(Item.id.in_(ids[start : start + 500]))
                .options(selectinload(Item.source))
                .order_by(Item.id)
            )
            for item in items:
                label = labels[item.id]
                truth = label.kind == q.RELEVANT
                judgement = judge_item(matcher, item)
                lang = item_language(item)
                slot = (
                    0 if judgement.relevant and truth
                    else 1 if judgement.relevant
                    else 2 if truth
                    else 3
                )  # fmt: skip
                counts[lang][slot] += 1
                if judgement.relevant != truth:
                    points, rules, terms = _why(judgement.explanation)
                    wrong[lang].append(
                        Disagreement(
                            item.id,
                            item.title,
                            truth,
                            judgement.score,
                            judgement.threshold,
                            label.reviewer,
                            points,
                            rules,
                            terms,
                        )
                    )
        for (a, b), pair in sorted(q.pair_labels(s).items()):
            rows = {
                r.id: r
                for r in s.execute(
                    select(Item.id, Item.story_id, Item.story_reason).where(Item.id.in_((a, b)))
                )
            }
            if a not in rows or b not in rows:
                continue
            sa, sb = rows[a].story_id, rows[b].story_id
            together = sa is not None and sa == sb
            same = pair.kind == q.SAME_STORY
            report.pairs += 1
            if together == same:
                report.pairs_agree += 1
                continue
            signals = tuple(str((rows[i].story_reason or {}).get("signal", "—")) for i in (a, b))
            report.pair_disagreements.append(
                PairDisagreement(a, b, same, sa, sb, (signals[0], signals[1]))
            )
    for lang in sorted(counts):
        tp, fp, fn, tn = counts[lang]
        report.languages.append(LanguageEval(lang, Scores(tp, fp, fn, tn), tuple(wrong[lang])))
    return report
