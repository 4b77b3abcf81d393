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
from functools import cached_property, lru_cache
from typing import Any

from monitor.config import DedupSettings
from monitor.dedup import anchors
from monitor.dedup.similarity import (
    NO_WORDING,
    WindowStats,
    Wording,
    aligned_sentences,
    folded_wording,
    rarity,
    weighted_containment,
    weighted_dice,
)
from monitor.dedup.text import (
    PreparedText,
    content_tokens,
    folded_numbers,
    numbers,
    shingles,
    strip_boilerplate,
)
from monitor.dedup.vocabulary import CopyVocabulary
from monitor.identity import normalise_title, strip_outlet
from monitor.textnorm import collapse, fold

SHORT_CONTAINMENT = 0.9
TEMPLATE_JACCARD = 0.3  # this similar, yet with different figures: a templated brief
CROSS_LANGUAGE_HOURS = 24  # two shared anchors and a theme link languages only this close
GENERIC_ENTITY_WEIGHT = 0.5  # a shared generic entity counts this much of an anchor
REWORDED_MIN_SENTENCES = 2
REWORDED_CONTAINMENT = 0.55  # weighted content stems of the smaller text found in the other
REWORDED_ALIGNED = 0.5  # share of the smaller text's sentences with a counterpart
NAME_CAP = 3.0  # shared names count at most this much
PERSIAN_NAME_WEIGHT = 0.5
MIN_NAME_RARITY = 0.4  # a name in more of the window's items than this allows counts nothing
NUMBER_WEIGHT = 0.7  # a shared rare number counts this much of an anchor
THEME_WEIGHT = 0.3
SAME_LANGUAGE_ANCHOR = 1.0
CROSS_LANGUAGE_EVENT = 3.0  # anchors two reports in different languages need within 30 hours
CROSS_LANGUAGE_EVENT_LATER = 4.0  # … and up to related_window_hours apart


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
    wording: Wording = NO_WORDING
    names: frozenset[str] = frozenset()  # name skeletons (see monitor.dedup.anchors)
    dates: frozenset[str] = frozenset()  # calendar dates named in the text, MM-DD

    @cached_property
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
    vocabulary: CopyVocabulary,
) -> Doc:
    """``entities``: the item's entity tags; those also in ``vocabulary.generic_entities`` count
    as generic."""
    outlets = vocabulary.outlets
    generic = vocabulary.generic_entities
    cleaned = strip_boilerplate(text, outlets)
    # the text is folded once: every feature below reads the folded text (what each of the
    # public functions would fold again gives the same, ``stable`` checks it)
    folded = fold(cleaned)
    stable = fold(folded) == folded
    tokens = collapse(folded).split()  # normalise(cleaned)
    title_norm = normalise_title(title, outlets)
    headline = strip_outlet(title, outlets)
    folded_headline = fold(headline)
    undated = anchors.folded_without_dates(folded)
    # what prepare_body gives, except that the day of a dateline or of a named date is no figure
    body = PreparedText(
        body=" ".join(tokens),
        tokens=tuple(tokens),
        shingles=shingles(tokens),
        numbers=folded_numbers(undated) if stable else numbers(undated),
    )
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
        title_terms=content_tokens(title_norm, vocabulary.topic_words),
        title_numbers=numbers(anchors.folded_without_dates(folded_headline)),
        body=body,
        figures=figures,
        themes=themes,
        informative=informative,
        entities=entities - generic,
        generic_entities=entities & generic,
        wording=folded_wording(folded_headline, folded, stable=stable),
        names=anchors.names(f"{headline}\n{cleaned}", language),
        dates=anchors.folded_named_dates(folded, time),
    )


def _hours_apart(a: Doc, b: Doc) -> float:
    return abs((a.time - b.time).total_seconds()) / 3600.0


def _same_language(a: Doc, b: Doc) -> bool:
    return a.language is None or b.language is None or a.language == b.language


def _jaccard(a: frozenset[str], b: frozenset[str], inter: int | None = None) -> float:
    """``inter``: the size of their intersection, when counted already."""
    if not a or not b:
        return 0.0
    if inter is None:
        inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _numbers_compatible(a: frozenset[str], b: frozenset[str]) -> bool:
    """False when each side has numbers the other lacks (templated briefs, different figures)."""
    return not (a - b) or not (b - a)


def _numbers_conflict(small: frozenset[str], large: frozenset[str]) -> bool:
    """For reworded copies, which may drop a figure and add another: most of the smaller text's
    numbers must be in the other one."""
    return bool(small) and len(small & large) * 2 < len(small)


def title_similarity(a: Doc, b: Doc) -> float:
    if a.title_norm and a.title_norm == b.title_norm:
        return 1.0
    return _jaccard(a.title_words, b.title_words)


def shared_shingles(new: Doc, old: Doc) -> int:
    """How many text shingles the two items share (both comparisons need it: count it once)."""
    return len(new.body.shingles & old.body.shingles)


def compare_copy(
    new: Doc,
    old: Doc,
    settings: DedupSettings,
    stats: WindowStats | None = None,
    *,
    shared: int | None = None,
) -> Evidence | None:
    """Evidence that ``new`` is a copy of ``old``, or None (``shared``: their
    :func:`shared_shingles`, when counted already)."""
    if not _same_language(new, old):
        return None
    a, b = new.body.shingles, old.body.shingles
    inter = len(a & b) if shared is None else shared
    if new.informative and old.informative:
        small, large = (new, old) if len(a) <= len(b) else (old, new)
        jac = inter / (len(a) + len(b) - inter)
        contain = inter / min(len(a), len(b))
        if not _numbers_compatible(small.all_numbers, large.all_numbers):
            if _numbers_conflict(small.all_numbers, large.all_numbers):
                return None
            return _reworded(new, old, settings, stats, jac, contain)
        contained = contain >= settings.containment_threshold
        if jac < settings.near_copy_threshold and not contained:
            return _reworded(new, old, settings, stats, jac, contain)
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


def _reworded(
    new: Doc,
    old: Doc,
    settings: DedupSettings,
    stats: WindowStats | None,
    jac: float,
    contain: float,
) -> Evidence | None:
    """A reworded copy (numbers already compatible): published within ``title_window_hours``,
    most of the smaller text's weighted content stems in the other (≥ ``REWORDED_CONTAINMENT``)
    and most of its sentences with a counterpart (≥ ``REWORDED_ALIGNED``)."""
    if _hours_apart(new, old) > settings.title_window_hours:
        return None
    sentences = min(len(new.wording.sentences), len(old.wording.sentences))
    if sentences < REWORDED_MIN_SENTENCES:
        return None
    wc = weighted_containment(
        new.wording.stems,
        old.wording.stems,
        stats.stems if stats else None,
        (new.item_id, old.item_id),
    )
    if wc < REWORDED_CONTAINMENT:
        return None
    aligned, conflict = aligned_sentences(new.wording, old.wording)
    if aligned < REWORDED_ALIGNED or conflict:
        return None
    detail = {
        "jaccard": round(jac, 4),
        "containment": round(contain, 4),
        "stems": round(wc, 4),
        "aligned_sentences": round(aligned, 4),
    }
    return Evidence("reworded", round((wc + aligned) / 2, 4), old.item_id, detail)


def _name_weight(new: Doc, old: Doc, stats: WindowStats | None) -> tuple[float, list[str]]:
    """The summed rarity of the shared names that are not common in the window (a capital or a
    much-quoted leader in most items tells no event apart), and the rarest of them."""
    # a figure's or entity's name is counted once, as the tag
    tagged = frozenset().union(
        *map(_tag_skeletons, (new.figures & old.figures) | (new.entities & old.entities))
    )
    shared = sorted((new.names & old.names) - tagged)
    weights = [rarity(stats.names if stats else None, n) for n in shared]
    total = sum(w for w in weights if w >= MIN_NAME_RARITY)
    if new.language == "fa" and old.language == "fa":
        # every Persian word is a possible name, and the stems already compare the words
        total *= PERSIAN_NAME_WEIGHT
    return total, [n for n, w in zip(shared, weights, strict=True) if w >= 0.5]


@lru_cache(maxsize=10_000)
def _tag_skeletons(tag: str) -> frozenset[str]:
    """The name skeletons of a figure's or entity's tag (one per word)."""
    return frozenset(anchors.skeleton(fold(word)) for word in tag.split())


def _number_weight(nums: frozenset[str], stats: WindowStats | None) -> float:
    return sum(rarity(stats.numbers if stats else None, n) for n in nums)


def compare_related(
    new: Doc,
    old: Doc,
    settings: DedupSettings,
    stats: WindowStats | None = None,
    *,
    shared: int | None = None,
) -> Evidence | None:
    """Evidence that ``new`` reports the same event as ``old`` (not a copy), or None
    (``shared``: as for :func:`compare_copy`)."""
    hours = _hours_apart(new, old)
    if hours > settings.related_window_hours:
        return None
    figs = len(new.figures & old.figures)
    shared_nums = new.all_numbers & old.all_numbers
    nums = len(shared_nums)
    specific = len(new.entities & old.entities)
    generic = len(new.generic_entities & old.generic_entities)
    dates = len(new.dates & old.dates)
    same = _same_language(new, old)
    signal = ""
    anchor = 0.0
    strong_names: list[str] = []

    def anchors_() -> float:
        """What two reports of one event name alike, whatever their wording."""
        nonlocal strong_names
        names, strong_names = _name_weight(new, old, stats)
        return (
            figs
            + specific
            + GENERIC_ENTITY_WEIGHT * generic
            + min(names, NAME_CAP)
            + NUMBER_WEIGHT * min(_number_weight(shared_nums, stats), 3.0)
            + dates
        )

    if same:
        title = _dice(new.title_terms, old.title_terms)
        text = _jaccard(new.body.shingles, old.body.shingles, shared)
        templated = text >= TEMPLATE_JACCARD and not _numbers_compatible(
            new.all_numbers, old.all_numbers
        )
        if templated:
            return None
        linked = (title >= 0.3 or text >= 0.08) and (
            figs >= 1 or nums >= 1 or title >= 0.6 or text >= 0.15
        )
        score = min(1.0, 0.6 * title + 1.5 * text + 0.15 * figs + 0.1 * min(nums, 3))
        linked = linked and score >= settings.related_threshold
        stems = 0.0
        if not linked and new.informative and old.informative:
            stems = weighted_dice(
                new.wording.stems,
                old.wording.stems,
                stats.stems if stats else None,
                (new.item_id, old.item_id),
            )
            if stems >= _same_language_bar(hours):
                anchor = anchors_()
                if anchor >= SAME_LANGUAGE_ANCHOR:
                    linked, signal = True, "wording"
                    score = min(1.0, stems + 0.1 * anchor)
    else:
        title = text = stems = 0.0
        themes = len(new.themes & old.themes)
        entity_anchors = specific + GENERIC_ENTITY_WEIGHT * generic + figs
        linked = (specific + figs) >= 1 and (
            (entity_anchors >= 2 and nums >= 1)
            or nums >= 2
            or (entity_anchors >= 2 and themes >= 1 and hours <= CROSS_LANGUAGE_HOURS)
        )
        score = min(1.0, 0.15 * entity_anchors + 0.1 * min(nums, 3))
        linked = linked and score >= settings.related_threshold
        bar = _cross_language_bar(hours)
        theme = THEME_WEIGHT * min(themes, 1)
        # the names are weighed only when the rest leaves them a chance
        if not linked and figs + specific + generic + dates + nums + NAME_CAP + theme >= bar:
            anchor = anchors_()
            event = anchor + theme
            identified = figs + specific >= 1 or len(strong_names) >= 2
            if identified and event >= bar:
                linked, signal = True, "anchors"
                score = min(1.0, event / 5)
    if not linked:
        return None
    detail = {
        "title": round(title, 4),
        "text": round(text, 4),
        "shared_figures": sorted(new.figures & old.figures),
        "shared_entities": sorted(
            (new.entities | new.generic_entities) & (old.entities | old.generic_entities)
        ),
        "shared_numbers": sorted(shared_nums)[:10],
        "cross_language": not same,
    }
    if signal:
        detail.update(
            {
                "by": signal,
                "stems": round(stems, 4),
                "anchors": round(anchor, 4),
                "shared_names": strong_names[:10],
                "shared_dates": sorted(new.dates & old.dates),
                "hours_apart": round(hours, 1),
            }
        )
    return Evidence("related", round(score, 4), old.item_id, detail)


def _same_language_bar(hours: float) -> float:
    """Weighted stem overlap two reports in one language need: more the further apart."""
    if hours <= 30:
        return 0.2
    if hours <= 54:
        return 0.42
    return 0.5


def _cross_language_bar(hours: float) -> float:
    return CROSS_LANGUAGE_EVENT if hours <= 30 else CROSS_LANGUAGE_EVENT_LATER


def best(evidence: list[Evidence]) -> Evidence | None:
    return max(evidence, key=lambda e: (e.similarity, -e.matched_item_id), default=None)
