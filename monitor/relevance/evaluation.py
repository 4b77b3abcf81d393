"""Measure the matcher on a labelled set: precision, recall and F1 per language, next to the naive
rule "both country names appear", and throughput on long items.

A labelled set is a YAML list of ``{id, label (1/0), kind, title, body}``; the language is the
file's stem (``en.yaml``) and the id's prefix.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from monitor.relevance.matcher import Matcher
from monitor.relevance.terms import TermIndex, tokenise
from monitor.relevance.topic import Topic


@dataclass(frozen=True)
class LabelledItem:
    id: str
    language: str
    label: bool
    kind: str
    title: str
    body: str


@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_labelled(directory: Path) -> list[LabelledItem]:
    items: list[LabelledItem] = []
    for path in sorted(directory.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items.append(
                LabelledItem(
                    id=str(raw["id"]),
                    language=path.stem,
                    label=bool(raw["label"]),
                    kind=str(raw.get("kind", "")),
                    title=str(raw["title"]),
                    body=str(raw.get("body", "")),
                )
            )
    return items


class NaiveRule:
    """Relevant when a country name (or adjective) of each side appears anywhere."""

    def __init__(self, topic: Topic) -> None:
        self.index = TermIndex(topic.endings)
        for sname, side in topic.sides.items():
            for group in side.groups:
                if group.kind != "country":
                    continue
                for terms in group.terms.values():
                    for t in terms:
                        self.index.add(t, sname)

    def __call__(self, title: str, body: str) -> bool:
        hits = self.index.find(tokenise(title, body))
        return len({self.index.payloads[h.term] for h in hits}) == 2


def score(items: Iterable[LabelledItem], predict: Callable[[LabelledItem], bool]) -> Scores:
    tp = fp = fn = tn = 0
    for item in items:
        got = predict(item)
        if got and item.label:
            tp += 1
        elif got:
            fp += 1
        elif item.label:
            fn += 1
        else:
            tn += 1
    return Scores(tp, fp, fn, tn)


@dataclass(frozen=True)
class LanguageReport:
    language: str
    items: int
    matcher: Scores
    naive: Scores
    errors: list[str]
    detected_ok: int


def evaluate(matcher: Matcher, items: list[LabelledItem]) -> list[LanguageReport]:
    naive = NaiveRule(matcher.topic)
    reports = []
    for lang in sorted({i.language for i in items}):
        subset = [i for i in items if i.language == lang]
        judged = {i.id: matcher.judge(i.title, i.body) for i in subset}
        decided = {k: j.relevant for k, j in judged.items()}
        errors = [
            f"{i.id} ({i.kind}) expected {int(i.label)} score {judged[i.id].score}: {i.title}"
            for i in subset
            if judged[i.id].relevant != i.label
        ]
        reports.append(
            LanguageReport(
                language=lang,
                items=len(subset),
                matcher=score(subset, lambda i, d=decided: d[i.id]),  # type: ignore[misc]
                naive=score(subset, lambda i: naive(i.title, i.body)),
                errors=errors,
                detected_ok=sum(1 for i in subset if judged[i.id].language == lang),
            )
        )
    return reports


def long_items(items: list[LabelledItem], words: int = 500) -> list[tuple[str, str]]:
    """Items of about ``words`` words per language, made by joining labelled bodies as paragraphs."""
    out: list[tuple[str, str]] = []
    for lang in sorted({i.language for i in items}):
        subset = [i for i in items if i.language == lang]
        for k, head in enumerate(subset):
            paragraphs: list[str] = []
            count, j = 0, k
            while count < words:
                body = subset[j % len(subset)].body
                paragraphs.append(body)
                count += len(body.split())
                j += 7
            text = " ".join("\n".join(paragraphs).split(" ")[: words + 40])
            out.append((head.title, text))
    return out


def throughput(matcher: Matcher, docs: list[tuple[str, str]], *, rounds: int = 3) -> float:
    """Items per CPU second of this process (one core; best of ``rounds``), so that other load on
    the machine does not distort the figure."""
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for title, body in docs:
            matcher.judge(title, body)
        elapsed = time.process_time() - start
        best = max(best, len(docs) / elapsed)
    return best
