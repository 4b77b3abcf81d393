"""The matching window in memory: prepared documents of folded items and their candidate keys.

The fold stage compares each new item with the folded items published within ``window_days`` of
it. Reading and preparing those candidates from the database for every new item made folding
grow with the archive; instead :class:`WindowIndex` keeps each folded item's prepared
:class:`~monitor.dedup.match.Doc` once, with an inverted index from *keys* to items:

- the rarer content stems (``s:``), name skeletons (``n:``), key figures (``f:``), specific
  entities (``e:``), numbers (``#:``) and named dates (``d:``);

and the :class:`~monitor.dedup.similarity.WindowStats` (document frequencies) that weigh them.
A candidate's score is the summed rarity of the keys it shares with the new item; the best
``limit`` candidates in the time range are compared in full.

The archive stays the truth: the index loads the items of a time range the first time an item
there is folded (:meth:`WindowIndex.load`), and items another process folded meanwhile are read
by id (:meth:`WindowIndex.refresh`). Only immutable features are held; story membership is
always read from the database.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import add

from monitor.dedup.match import Doc
from monitor.dedup.similarity import DF_PRIOR, EVENT_REPORTS, TermStats, WindowStats, rarity

COMMON_SHARE = 0.05  # a stem in more than this share of the window is no candidate key
MIN_KEY_RARITY = 0.3
LOOKUP_KEYS = 250  # the rarest keys of a new item are enough to find its copies and its event
MIN_CANDIDATE_SCORE = 1.5  # fewer shared keys than this: not worth comparing
LOAD_MARGIN = timedelta(days=1)
MAX_DOCS = 50_000  # held items before those outside the current window are forgotten  # a range is read this much wider than asked


def doc_keys(doc: Doc) -> set[str]:
    keys = {f"s:{s}" for s in doc.wording.stems}
    keys.update(f"n:{n}" for n in doc.names)
    keys.update(f"f:{f}" for f in doc.figures)
    keys.update(f"e:{e}" for e in doc.entities)
    keys.update(f"#:{n}" for n in doc.all_numbers)
    keys.update(f"d:{d}" for d in doc.dates)
    return keys


class WindowIndex:
    def __init__(self) -> None:
        self.docs: dict[int, Doc] = {}
        self.stats = WindowStats()
        self._keys: dict[int, set[str]] = {}
        self._times: dict[int, int] = {}  # each held item's time as a :func:`_stamp`
        self._last: tuple[Doc, set[str]] | None = None  # a document and its keys
        self._postings: defaultdict[str, set[int]] = defaultdict(set)
        self._loaded: list[tuple[datetime, datetime]] = []

    def __len__(self) -> int:
        return len(self.docs)

    def __contains__(self, item_id: int) -> bool:
        return item_id in self.docs

    # ------------------------------------------------------------------ contents

    def keys_of(self, doc: Doc) -> set[str]:
        """:func:`doc_keys` of ``doc``; those of the last document asked for are kept, as the
        fold looks an item up and then adds it."""
        if self._last is None or self._last[0] is not doc:
            self._last = (doc, doc_keys(doc))
        return self._last[1]

    def add(self, doc: Doc) -> None:
        if doc.item_id in self.docs:
            self.remove(doc.item_id)
        keys = self.keys_of(doc)
        self._last = None  # the set is the held item's from now on
        self.docs[doc.item_id] = doc
        self._times[doc.item_id] = _stamp(doc.time)
        self._keys[doc.item_id] = keys
        for key in keys:
            self._postings[key].add(doc.item_id)
        self.stats.add(doc.wording.stems, doc.names, doc.all_numbers)
        self.stats.stems.total(doc.item_id, doc.wording.stems)

    def remove(self, item_id: int) -> None:
        doc = self.docs.pop(item_id, None)
        if doc is None:
            return
        del self._times[item_id]
        for key in self._keys.pop(item_id, set()):
            posting = self._postings.get(key)
            if posting is not None:
                posting.discard(item_id)
                if not posting:
                    del self._postings[key]
        self.stats.remove(doc.wording.stems, doc.names, doc.all_numbers)

    def trim(self, lo: datetime, hi: datetime, max_docs: int = MAX_DOCS) -> None:
        """Past ``max_docs`` held items (a rebuild of a long archive), forget those outside
        [lo, hi]; only [lo, hi] counts as read from then on."""
        if len(self.docs) <= max_docs:
            return
        for item_id in [i for i, d in self.docs.items() if not lo <= d.time <= hi]:
            self.remove(item_id)
        self._loaded = [(lo, hi)] if self.covers(lo, hi) else []

    def covers(self, lo: datetime, hi: datetime) -> bool:
        return any(a <= lo and hi <= b for a, b in self._loaded)

    def load(
        self,
        lo: datetime,
        hi: datetime,
        fetch: Callable[[datetime, datetime], Iterable[Doc]],
        margin: timedelta = LOAD_MARGIN,
    ) -> None:
        """Make sure every folded item in [lo, hi] is held: ``fetch`` reads the parts of the range
        not read yet, each widened by ``margin`` so that the next items rarely need a read."""
        if self.covers(lo, hi):
            return
        for a, b in _missing(self._loaded, lo - margin, hi + margin):
            for doc in fetch(a, b):
                if doc.item_id not in self.docs:
                    self.add(doc)
            self._loaded = _merge([*self._loaded, (a, b)])

    # ------------------------------------------------------------------ lookup

    def _key_weight(self, key: str) -> float:
        kind, value = key[0], key[2:]
        if kind == "s":
            return rarity(self.stats.stems, value)
        if kind == "n":
            return rarity(self.stats.names, value)
        if kind == "#":
            return rarity(self.stats.numbers, value)
        return 1.0

    def candidates(self, doc: Doc, lo: datetime, hi: datetime, limit: int) -> list[int]:
        """Held items in [lo, hi] sharing the most (rarity-weighted) keys with ``doc``: only its
        :data:`LOOKUP_KEYS` rarest keys are looked up."""
        common = max(20, int(COMMON_SHARE * len(self.docs)))
        postings = self._postings
        rarities = {
            "s": _Rarity(self.stats.stems),
            "n": _Rarity(self.stats.names),
            "#": _Rarity(self.stats.numbers),
        }
        keyed = []
        for key in self.keys_of(doc):
            posting = postings.get(key)
            if not posting:
                continue
            kind = key[0]
            if kind == "s" and len(posting) > common:
                continue
            scale = rarities.get(kind)
            weight = 1.0 if scale is None else scale(key[2:])
            if weight >= MIN_KEY_RARITY:
                keyed.append((weight, key))
        keyed.sort(reverse=True)
        scores: dict[int, float] = {}
        get, put = scores.get, scores.update
        for weight, key in keyed[:LOOKUP_KEYS]:  # each item's sum in this order, as ever
            posting = postings[key]
            # scores[i] = scores.get(i, 0.0) + weight for each i of the posting, looped in C
            put(zip(posting, map(add, map(get, posting, repeat(0.0)), repeat(weight)), strict=True))
        scores.pop(doc.item_id, None)
        times = self._times
        start, end = _stamp(lo), _stamp(hi)
        kept = [
            (-v, -i)
            for i, v in scores.items()
            if v >= MIN_CANDIDATE_SCORE and start <= times[i] <= end
        ]
        return [-i for _, i in heapq.nsmallest(limit, kept)]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def _stamp(when: datetime) -> int:
    """Microseconds since the epoch: integers that order as the times do (compared faster)."""
    return (when - (_EPOCH if when.tzinfo is not None else _NAIVE_EPOCH)) // _MICROSECOND


class _Rarity(dict[int, float]):
    """:func:`~monitor.dedup.similarity.rarity` over one :class:`TermStats`, its constants
    computed once per lookup and each weight once per document count (the same arithmetic, so
    the same weights)."""

    __slots__ = ("_df", "_logs", "_top")

    def __init__(self, stats: TermStats) -> None:
        super().__init__()
        self._df = stats.df
        self._logs = stats.logs()
        self._top = math.log((stats.items + DF_PRIOR + 1) / (EVENT_REPORTS + 1))

    def __missing__(self, count: int) -> float:
        value = max(0.0, min(1.0, self._logs[count] / self._top))
        self[count] = value
        return value

    def __call__(self, term: str) -> float:
        return self[self._df.get(term, 0)]


def _missing(
    loaded: list[tuple[datetime, datetime]], lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """The parts of [lo, hi] outside the (merged, sorted) ``loaded`` ranges."""
    out = []
    start = lo
    for a, b in loaded:
        if b < start or a > hi:
            continue
        if a > start:
            out.append((start, a))
        start = max(start, b)
    if start < hi:
        out.append((start, hi))
    return out


def _merge(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out
