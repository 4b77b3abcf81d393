"""Evaluating dedup on a labelled set (``tests/data/dedup/labelled.yaml``).

The set lists distinct articles with an ``event`` label and their syndicated ``copies`` (described
as edits: new headline, dropped paragraphs, dateline, credit lines, outlet prefix/suffix). Every
article and copy becomes a stored item; the real :class:`~monitor.dedup.stage.FoldStage` folds them
in publication order; the outcome is scored pairwise (items carry ``figures``, ``themes`` and
``entities`` tags as the relevance stage would store them; a top-level ``generic_entities`` list
names the entities counted as generic):

- copies: two items predicted in the same copy group (lead/copy chain) vs the same article;
- same event: two items predicted in the same story vs the same ``event``.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from monitor.config import DedupSettings
from monitor.db.engine import Database
from monitor.db.models import Item, ItemTag, Source
from monitor.dedup.stage import FoldStage
from monitor.dedup.text import prepare_body
from monitor.dedup.vocabulary import CopyVocabulary
from monitor.identity import content_fingerprint, entry_key, title_key
from monitor.pipeline import StageContext
from monitor.urls import canonicalize_url


@dataclass(frozen=True)
class LabelledItem:
    key: str
    article: str
    event: str
    language: str
    source: str
    published: datetime
    title: str
    text: str
    figures: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"https://{self.source}.example.org/news/{self.key.replace('.', '-')}"


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _variant(base: dict[str, Any], copy: dict[str, Any], n: int) -> LabelledItem:
    paras = _paragraphs(copy.get("text") or base.get("text") or "")
    drop = set(copy.get("drop", []))
    paras = [p for i, p in enumerate(paras) if i not in drop]
    for old, new in copy.get("edit", []):
        paras = [p.replace(old, new) for p in paras]
    if paras and copy.get("dateline"):
        paras[0] = copy["dateline"] + paras[0]
    paras += list(copy.get("credit", []))
    title = copy.get("title") or base["title"]
    title = copy.get("title_prefix", "") + title + copy.get("title_suffix", "")
    published = datetime.fromisoformat(base["published"]) + timedelta(hours=copy.get("delay_h", 1))
    return LabelledItem(
        key=f"{base['id']}.c{n}",
        article=base["id"],
        event=base["event"],
        language=copy.get("lang", base["lang"]),
        source=copy["source"],
        published=published,
        title=title,
        text="" if copy.get("no_text") else "\n".join(paras),
        figures=tuple(base.get("figures", [])),
        themes=tuple(base.get("themes", [])),
        entities=tuple(base.get("entities", [])),
    )


def load_labelled(path: Path) -> list[LabelledItem]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: list[LabelledItem] = []
    for art in raw["articles"]:
        out.append(
            LabelledItem(
                key=art["id"],
                article=art["id"],
                event=art["event"],
                language=art["lang"],
                source=art["source"],
                published=datetime.fromisoformat(art["published"]),
                title=art["title"],
                text="\n".join(_paragraphs(art.get("text") or "")),
                figures=tuple(art.get("figures", [])),
                themes=tuple(art.get("themes", [])),
                entities=tuple(art.get("entities", [])),
            )
        )
        out.extend(_variant(art, copy, n) for n, copy in enumerate(art.get("copies", []), 1))
    return out


@dataclass
class Folded:
    """Per labelled key: the story it landed in and the key of its copy group's root."""

    story: dict[str, int] = field(default_factory=dict)
    copy_root: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, dict[str, Any]] = field(default_factory=dict)
    stats: Counter[str] = field(default_factory=Counter)


def load_generic_entities(path: Path) -> frozenset[str]:
    """The labelled set's ``generic_entities`` list (entity tags counted as generic)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return frozenset(raw.get("generic_entities") or ())


def fold_labelled(
    database: Database,
    items: list[LabelledItem],
    settings: DedupSettings,
    vocabulary: CopyVocabulary,
) -> Folded:
    """Store the labelled items and fold them, one transaction per item, oldest first."""
    stage = FoldStage(settings, vocabulary=vocabulary)
    outlets = vocabulary.outlets
    ctx = StageContext()
    ids: dict[str, int] = {}
    sources: dict[str, int] = {}
    with database.session() as session:
        for name in sorted({it.source for it in items}):
            src = Source(
                name=name, url=f"https://{name}.example.org/feed", kind="rss", language="en"
            )
            session.add(src)
            session.flush()
            sources[name] = src.id
    for it in sorted(items, key=lambda i: (i.published, i.key)):
        with database.session() as session:
            canonical = canonicalize_url(it.url)
            row = Item(
                source_id=sources[it.source],
                entry_key=entry_key(None, canonical, it.title, outlets=outlets),
                url=it.url,
                canonical_url=canonical,
                title=it.title,
                text=it.text,
                language=it.language,
                declared_language=it.language,
                published_at=it.published,
                first_seen_at=it.published,
                content_hash=content_fingerprint(
                    it.title, prepare_body(it.text, outlets).body, outlets
                ),
                title_key=title_key(it.title, outlets),
                relevant=True,
            )
            session.add(row)
            session.flush()
            tagged = (("figure", it.figures), ("theme", it.themes), ("entity", it.entities))
            for kind, values in tagged:
                session.add_all(ItemTag(item_id=row.id, kind=kind, value=v) for v in values)
            session.flush()
            stage.process(session, row, ctx)
            ids[it.key] = row.id
    by_id = {v: k for k, v in ids.items()}
    out = Folded(stats=ctx.stats)
    with database.session() as session:
        rows = {i.id: i for i in session.query(Item).filter(Item.id.in_(list(by_id)))}
        for key, item_id in ids.items():
            row = rows[item_id]
            out.story[key] = row.story_id or -item_id
            out.reasons[key] = row.story_reason or {}
            current, seen = row, set()
            while current.story_role == "copy" and current.id not in seen:
                seen.add(current.id)
                nxt = (current.story_reason or {}).get("matched_item_id")
                if nxt is None or nxt not in rows:
                    break
                current = rows[nxt]
            out.copy_root[key] = by_id.get(current.id, key)
    return out


@dataclass(frozen=True)
class PairScore:
    precision: float
    recall: float
    true_pos: int
    false_pos: int
    false_neg: int


def pairwise(predicted: dict[str, Any], gold: dict[str, Any]) -> PairScore:
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(gold), 2):
        same_pred = predicted[a] == predicted[b]
        same_gold = gold[a] == gold[b]
        tp += same_pred and same_gold
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return PairScore(precision, recall, tp, fp, fn)


@dataclass
class EvalReport:
    items: int
    copies: PairScore
    events: PairScore
    folded: Folded
    labelled: list[LabelledItem]

    def mistakes(self) -> list[str]:
        lines = []
        gold = {i.key: i for i in self.labelled}
        for a, b in itertools.combinations(sorted(gold), 2):
            pc = self.folded.copy_root[a] == self.folded.copy_root[b]
            gc = gold[a].article == gold[b].article
            pe = self.folded.story[a] == self.folded.story[b]
            ge = gold[a].event == gold[b].event
            if pc != gc:
                lines.append(f"copy {'FP' if pc else 'FN'}: {a} ~ {b}")
            if pe != ge:
                lines.append(f"event {'FP' if pe else 'FN'}: {a} ~ {b}")
        return lines


def evaluate(
    database: Database,
    path: Path,
    settings: DedupSettings,
    vocabulary: CopyVocabulary | None = None,
) -> EvalReport:
    """Fold the labelled set at ``path`` and score it. ``vocabulary``: the shipped topic's and
    outlets' by default; the set's own ``generic_entities`` list replaces the topic's."""
    items = load_labelled(path)
    vocabulary = replace(
        vocabulary or CopyVocabulary.shipped(), generic_entities=load_generic_entities(path)
    )
    folded = fold_labelled(database, items, settings, vocabulary)
    copies = pairwise(folded.copy_root, {i.key: i.article for i in items})
    events = pairwise(folded.story, {i.key: i.event for i in items})
    return EvalReport(len(items), copies, events, folded, items)
