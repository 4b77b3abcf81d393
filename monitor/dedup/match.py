"""Deciding whether two items are copies or related reports of one event.

Pure functions over :class:`Doc` (an item's prepared features); no database here.

**Copy** (the same article, perhaps re-titled, trimmed or credited differently), same language:

1. both texts informative (at least ``min_text_chars`` characters and ``min_shingles`` distinct
   3-word shingles after boilerplate removal): Jaccard ≥ ``near_copy_threshold``, or the shorter
   text is contained in the longer (share ≥ ``containment_threshold``); in both cases the numbers
   of the shorter text must appear in the longer one (templated briefs differ in their figures);
2. otherwise (a title-only or very short item): within ``title_window_hours``, the normalised
   titles (outlet names stripped) agree at ≥ ``title_copy_threshold`` with the same numbers, or
   the short text is almost wholly (≥ 0.9) contained in the other one.

**Related** (a distinct report on the same event), within ``related_window_hours``:

- same language: title word overlap (Dice) and/or shingle Jaccard, backed by a shared key figure,
  a shared number or a strong title overlap;
- across languages (conservative), from shared tags only. *Anchors* are shared key figures and
  shared entities (places, projects, systems, weapons: ``entities:`` in the topic); an entity
  marked ``generic`` (a sea, a bloc, a long-standing agreement) counts half
  (``GENERIC_ENTITY_WEIGHT``) and never links on its own: at least one figure or specific entity
  must be shared. Linked when the anchors reach 2 *and* a number is shared, or reach 2 with a
  shared theme within ``CROSS_LANGUAGE_HOURS``, or one figure or specific entity is shared with
  two numbers. So "Bushehr + Rosatom + the nuclear theme the same day" links, while "Caspian Sea +
  BRICS" or "Bushehr + Caspian Sea" alone does not;
- never between templated briefs: texts this alike (Jaccard ≥ ``TEMPLATE_JACCARD``) whose
  numbers disagree on both sides report different events.

The score ``0.6·title + 1.5·text + 0.15·anchors + 0.1·numbers`` (capped at 1; anchors are the
shared figures, plus entities across languages) must reach ``related_threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.config import DedupSettings
from monitor.dedup.text import PreparedText, content_tokens, numbers, prepare_body
from monitor.identity import normalise_title

SHORT_CONTAINMENT = 0.9
TEMPLATE_JACCARD = 0.3  # this similar, yet with different figures: a templated brief
CROSS_LANGUAGE_HOURS = 24  # two shared anchors and a theme link languages only this close
GENERIC_ENTITY_WEIGHT = 0.5  # a shared generic entity counts this much of an anchor


@dataclass(frozen=True)
class Doc:
    item_id: int
    source_id: int
    language: str | None
    time: datetime
    title: str
    title_norm: str
    title_words: frozenset[str]  # every normalised title word
    title_terms: frozenset[str]  # content words (no stopwords)
    title_numbers: frozenset[str]
    body: PreparedText
    figures: frozenset[str] = frozenset()
    themes: frozenset[str] = frozenset()
    informative: bool = False
    entities: frozenset[str] = frozenset()  # specific entity tags
    generic_entities: frozenset[str] = frozenset()  # entity tags too broad to identify an event

    @property
    def all_numbers(self) -> frozenset[str]:
        return self.body.numbers | self.title_numbers


@dataclass(frozen=True)
class Evidence:
    signal: str  # canonical_url | guid | fingerprint | title | near_copy | related
    similarity: float
    matched_item_id: int
    detail: dict[str, Any] = field(default_factory=dict)


def make_doc(
    *,
    item_id: int,
    source_id: int,
    language: str | None,
    time: datetime,
    title: str,
    text: str,
    settings: DedupSettings,
    figures: frozenset[str] = frozenset(),
    themes: frozenset[str] = frozenset(),
    entities: frozenset[str] = frozenset(),
    generic: frozenset[str] = frozenset(),
) -> Doc:
    """``entities``: the item's entity tags; those also in ``generic`` count as generic."""
    body = prepare_body(text)
    title_norm = normalise_title(title)
    informative = (
        len(body.body) >= settings.min_text_chars and len(body.shingles) >= settings.min_shingles
    )
    return Doc(
        item_id=item_id,
        source_id=source_id,
        language=language,
        time=time,
        title=title,
        title_norm=title_norm,
        title_words=frozenset(title_norm.split()),
        title_terms=content_tokens(title_norm),
        title_numbers=numbers(title_norm),
        body=body,
        figures=figures,
        themes=themes,
        informative=informative,
        entities=entities - generic,
        generic_entities=entities & generic,
    )


def _hours_apart(a: Doc, b: Doc) -> float:
    return abs((a.time - b.time).total_seconds()) / 3600.0


def _same_language(a: Doc, b: Doc) -> bool:
    return a.language is None or b.language is None or a.language == b.language


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _numbers_compatible(a: frozenset[str], b: frozenset[str]) -> bool:
    """False when each side has numbers the other lacks (templated briefs, different figures)."""
    return not (a - b) or not (b - a)


def title_similarity(a: Doc, b: Doc) -> float:
    if a.title_norm and a.title_norm == b.title_norm:
        return 1.0
    return _jaccard(a.title_words, b.title_words)


def compare_copy(new: Doc, old: Doc, settings: DedupSettings) -> Evidence | None:
    """Evidence that ``new`` is a copy of ``old``, or None."""
    if not _same_language(new, old):
        return None
    a, b = new.body.shingles, old.body.shingles
    inter = len(a & b)
    if new.informative and old.informative:
        small, large = (new, old) if len(a) <= len(b) else (old, new)
        if not _numbers_compatible(small.all_numbers, large.all_numbers):
            return None
        jac = inter / (len(a) + len(b) - inter)
        contain = inter / min(len(a), len(b))
        contained = contain >= settings.containment_threshold
        if jac < settings.near_copy_threshold and not contained:
            return None
        sim = max(jac, contain) if contained else jac
        detail = {"jaccard": round(jac, 4), "containment": round(contain, 4)}
        return Evidence("near_copy", round(sim, 4), old.item_id, detail)
    if _hours_apart(new, old) > settings.title_window_hours:
        return None
    tsim = title_similarity(new, old)
    if tsim >= settings.title_copy_threshold and new.title_numbers == old.title_numbers:
        if not new.title_norm:
            return None
        return Evidence("title", round(tsim, 4), old.item_id, {"title": round(tsim, 4)})
    if a and b and min(len(a), len(b)) >= max(3, settings.min_shingles // 2):
        small_doc, large_doc = (new, old) if len(a) <= len(b) else (old, new)
        contain = inter / min(len(a), len(b))
        if contain >= SHORT_CONTAINMENT and _numbers_compatible(
            small_doc.all_numbers, large_doc.all_numbers
        ):
            return Evidence(
                "near_copy", round(contain, 4), old.item_id, {"containment": round(contain, 4)}
            )
    return None


def compare_related(new: Doc, old: Doc, settings: DedupSettings) -> Evidence | None:
    """Evidence that ``new`` reports the same event as ``old`` (not a copy), or None."""
    if _hours_apart(new, old) > settings.related_window_hours:
        return None
    figs = len(new.figures & old.figures)
    nums = len(new.all_numbers & old.all_numbers)
    if _same_language(new, old):
        title = _dice(new.title_terms, old.title_terms)
        text = _jaccard(new.body.shingles, old.body.shingles)
        templated = text >= TEMPLATE_JACCARD and not _numbers_compatible(
            new.all_numbers, old.all_numbers
        )
        linked = not templated and (
            (title >= 0.3 or text >= 0.08)
            and (figs >= 1 or nums >= 1 or title >= 0.6 or text >= 0.15)
        )
        anchors = float(figs)
    else:
        title = text = 0.0
        themes = len(new.themes & old.themes)
        specific = figs + len(new.entities & old.entities)
        anchors = specific + GENERIC_ENTITY_WEIGHT * len(
            new.generic_entities & old.generic_entities
        )
        linked = specific >= 1 and (
            (anchors >= 2 and nums >= 1)
            or nums >= 2
            or (anchors >= 2 and themes >= 1 and _hours_apart(new, old) <= CROSS_LANGUAGE_HOURS)
        )
    if not linked:
        return None
    score = min(1.0, 0.6 * title + 1.5 * text + 0.15 * anchors + 0.1 * min(nums, 3))
    if score < settings.related_threshold:
        return None
    detail = {
        "title": round(title, 4),
        "text": round(text, 4),
        "shared_figures": sorted(new.figures & old.figures),
        "shared_entities": sorted(
            (new.entities | new.generic_entities) & (old.entities | old.generic_entities)
        ),
        "shared_numbers": sorted(new.all_numbers & old.all_numbers)[:10],
        "cross_language": not _same_language(new, old),
    }
    return Evidence("related", round(score, 4), old.item_id, detail)


def best(evidence: list[Evidence]) -> Evidence | None:
    return max(evidence, key=lambda e: (e.similarity, -e.matched_item_id), default=None)
