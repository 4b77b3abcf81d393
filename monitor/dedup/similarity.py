"""Wording-independent similarity: content stems, aligned sentences and term weights.

Reworded copies (re-headlined, trimmed, extended, credited differently, "spun" with synonyms) share
few exact 3-word shingles, but they keep most of their rarer content words, their sentences in the
same order, and their numbers and names. Independent reports of one event share fewer words but
the same rare ones. Both are measured here over :func:`monitor.dedup.anchors.stem` forms of the
content words (stopwords and one- or two-letter words left out):

- :func:`weighted_containment` — the weight of the shared stems over the weight of the smaller
  item's stems; :func:`weighted_dice` — over the mean of both;
- :func:`aligned_sentences` — the share of the smaller item's sentences that have a counterpart
  (stem Jaccard ≥ :data:`SENTENCE_MATCH`) in the other item;
- :class:`TermStats` — document frequencies over the items being compared against (the matching
  window): a stem in most items of the window (the two countries, "minister") weighs little, a
  rare one (a person, a place, a project) much. Smoothed, so a small archive weighs all stems
  alike.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

from monitor.dedup.anchors import folded_without_dates, stem, without_dates
from monitor.dedup.text import folded_numbers, numbers
from monitor.textnorm import fold

SENTENCE_MATCH = 0.45
MIN_SENTENCE_STEMS = 4
DF_PRIOR = 30  # pseudo-items: below a few dozen items, every stem weighs about the same
EVENT_REPORTS = 4  # a name this few items share is as telling as a name no other item has
TOTAL_DRIFT = 0.05  # an item's total term weight is recomputed once the window grew this much
MAX_TOTALS = 100_000

STOPWORDS = frozenset(
    (
        # English
        "the a an of in on at to for and or but by with from as is are was were be been being has "
        "have had it its this that these those there their they them he she his her we our you "
        "not no said says say saying will would could should can may might also after before over "
        "about into amid than then when while where which who whom what why how all any some more "
        "most other such only own same so too very just now new one two three per during since "
        "until against between through under up down out off again further once here both each "
        "few many much do does did doing told according added noted stated including including "
        "week year years month months day days time last next first second "
        "monday tuesday wednesday thursday friday saturday sunday "
        # Russian
        "и в во на с со по к ко о об обо от до за из у для что как не а но же ли или это этот эта "
        "эти этого этой тот та те того он она они оно его ее их им ему ей мы вы я при после перед "
        "между также однако уже еще только может будет было были был была быть есть которые "
        "который которая которое которых которым котором так такой также чтобы если когда где "
        "заявил заявила заявили сообщил сообщила сообщили отметил отметила сказал сказала словам "
        "его ее году года год неделе понедельник вторник среду четверг пятницу субботу воскресенье "
        # Persian
        "و در به از با که این آن برای تا بر یا هم را های ها می است شد کرد کرده شده بود اند ای "
        "وی او آنها ما نیز اما اگر هر چه چون پس پیش بین روی دو سه یک خود همچنین گفت گفته افزود "
        "کند کنند کرد کردند دارد دارند داشت شود شوند باید خواهد خواهند گزارش روز سال ماه امروز "
        "دیروز هفته شنبه یکشنبه دوشنبه سه‌شنبه چهارشنبه پنجشنبه جمعه"
    ).split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?؟。])\s+|\n+")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_DIGIT = re.compile(r"\d")


def _content_stems(folded: str) -> list[str]:
    """Stems of the content words of an already folded text."""
    return [s for s in map(_content_stem, _NON_WORD.split(folded)) if s is not None]


@lru_cache(maxsize=200_000)
def _content_stem(word: str) -> str | None:
    """The stem of a content word; None for a stopword, a number or a word under 3 letters."""
    if len(word) >= 3 and word not in STOPWORDS and not word.isdigit():
        return stem(word)
    return None


@dataclass(frozen=True, slots=True)
class Wording:
    """An item's wording as compared by this module."""

    stems: frozenset[str]  # content stems of title and text
    title_stems: frozenset[str]
    sentences: tuple[frozenset[str], ...]  # content stems of each sentence with enough of them
    figures: tuple[frozenset[str], ...] = ()  # the numbers of each of those sentences


NO_WORDING = Wording(frozenset(), frozenset(), ())


def wording(title: str, text: str) -> Wording:
    text = fold(text)
    return folded_wording(fold(title), text, stable=fold(text) == text)


def folded_wording(title: str, text: str, *, stable: bool) -> Wording:
    """:func:`wording` of a title and a text already folded (:func:`monitor.textnorm.fold`);
    ``stable``: folding the text again changes nothing (true of any ordinary text), so its
    sentences need no second folding either."""
    sentences = []
    figures = []
    stems: set[str] = set()
    for raw in _SENTENCE_END.split(text):
        found = _content_stems(raw)
        stems.update(found)
        if len(found) >= MIN_SENTENCE_STEMS:
            sentences.append(frozenset(found))
            figures.append(_sentence_numbers(raw, stable) if _DIGIT.search(raw) else frozenset())
    title_stems = frozenset(_content_stems(title))
    return Wording(frozenset(stems) | title_stems, title_stems, tuple(sentences), tuple(figures))


def _sentence_numbers(sentence: str, stable: bool) -> frozenset[str]:
    """The numbers of a folded sentence, its dates left out."""
    if stable:
        return folded_numbers(folded_without_dates(sentence))
    return numbers(without_dates(sentence))


class _Logs(dict[int, float]):
    """``log(n / (count + 1))`` by document count, for one ``n``: a term's weight, computed once
    per count instead of once per term (the same expression, so the same value)."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def __missing__(self, count: int) -> float:
        value = math.log(self.n / (count + 1))
        self[count] = value
        return value


class TermStats:
    """Document frequencies of terms over a changing set of items (add and remove).

    :meth:`total` (the summed weight of an item's terms) is kept per item and recomputed only
    when the number of items has changed by more than :data:`TOTAL_DRIFT` since: comparing one
    new item with fifty candidates then costs the shared terms, not every candidate's terms."""

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.items = 0
        self._totals: dict[tuple[int, int], tuple[int, float]] = {}
        self._logs = _Logs(0)

    def logs(self) -> _Logs:
        """The weight of a term by its document count, for the current number of items."""
        n = self.items + DF_PRIOR + 1
        if self._logs.n != n:
            self._logs = _Logs(n)
        return self._logs

    def summed(self, terms: Iterable[str]) -> float:
        """The summed weight of ``terms`` (in their order, as ``sum`` of each weight)."""
        return sum(map(self.logs().__getitem__, map(self.df.get, terms, repeat(0))))

    def add(self, terms: Iterable[str]) -> None:
        self.df.update(terms)
        self.items += 1

    def remove(self, terms: Iterable[str]) -> None:
        self.df.subtract(terms)
        self.items -= 1

    def weight(self, term: str) -> float:
        n = self.items + DF_PRIOR
        return math.log((n + 1) / (self.df.get(term, 0) + 1))

    def total(self, key: int, terms: frozenset[str]) -> float:
        slot = (key, hash(terms))
        cached = self._totals.get(slot)
        if cached is not None and abs(cached[0] - self.items) <= TOTAL_DRIFT * max(
            cached[0], DF_PRIOR
        ):
            return cached[1]
        value = self.summed(terms)
        if len(self._totals) > MAX_TOTALS:
            self._totals.clear()
        self._totals[slot] = (self.items, value)
        return value


def _weights(stats: TermStats | None, terms: Iterable[str]) -> float:
    if stats is None:
        return float(sum(1 for _ in terms))
    return stats.summed(terms)


def _totals(
    stats: TermStats | None, a: frozenset[str], b: frozenset[str], keys: tuple[int, int] | None
) -> tuple[float, float]:
    if stats is None:
        return float(len(a)), float(len(b))
    if keys is None:
        return _weights(stats, a), _weights(stats, b)
    return stats.total(keys[0], a), stats.total(keys[1], b)


def weighted_containment(
    a: frozenset[str],
    b: frozenset[str],
    stats: TermStats | None,
    keys: tuple[int, int] | None = None,
) -> float:
    """The weight of the shared terms over the smaller side's weight (``keys``: the two items'
    ids, to reuse their totals)."""
    if not a or not b:
        return 0.0
    shared = _weights(stats, a & b)
    ta, tb = _totals(stats, a, b, keys)
    return shared / max(1e-9, min(ta, tb))


def weighted_dice(
    a: frozenset[str],
    b: frozenset[str],
    stats: TermStats | None,
    keys: tuple[int, int] | None = None,
) -> float:
    if not a or not b:
        return 0.0
    shared = _weights(stats, a & b)
    ta, tb = _totals(stats, a, b, keys)
    return 2 * shared / max(1e-9, ta + tb)


def aligned_sentences(a: Wording, b: Wording) -> tuple[float, bool]:
    """Share of the shorter item's sentences with a counterpart in the other, and whether a
    sentence and its counterpart give different figures (a templated brief, not a copy)."""
    if not a.sentences or not b.sentences:
        return 0.0, False
    small, large = (a, b) if len(a.sentences) <= len(b.sentences) else (b, a)
    found = 0
    conflict = False
    for i, s in enumerate(small.sentences):
        for j, t in enumerate(large.sentences):
            inter = len(s & t)
            if inter and inter / (len(s) + len(t) - inter) >= SENTENCE_MATCH:
                found += 1
                x, y = small.figures[i], large.figures[j]
                conflict = conflict or bool(x and y and not (x <= y or y <= x))
                break
    return found / len(small.sentences), conflict


class WindowStats:
    """Term statistics of the items in the matching window: content stems, names and numbers."""

    def __init__(self) -> None:
        self.stems = TermStats()
        self.names = TermStats()
        self.numbers = TermStats()

    def add(self, stems: Iterable[str], names: Iterable[str], numbers: Iterable[str]) -> None:
        self.stems.add(stems)
        self.names.add(names)
        self.numbers.add(numbers)

    def remove(self, stems: Iterable[str], names: Iterable[str], numbers: Iterable[str]) -> None:
        self.stems.remove(stems)
        self.names.remove(names)
        self.numbers.remove(numbers)


def rarity(stats: TermStats | None, term: str) -> float:
    """A term's weight scaled to 0..1: 1 for a term at most :data:`EVENT_REPORTS` items of the
    window have (the reports of one event share their names), near 0 for one all items have."""
    if stats is None:
        return 1.0
    n = stats.items + DF_PRIOR + 1
    top = math.log(n / (EVENT_REPORTS + 1))
    return max(0.0, min(1.0, math.log(n / (stats.df.get(term, 0) + 1)) / top))
