"""Wording-independent similarity and the in-memory matching window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.config import DedupSettings, shipped_outlets
from monitor.dedup import anchors
from monitor.dedup.match import make_doc
from monitor.dedup.similarity import (
    TermStats,
    aligned_sentences,
    weighted_containment,
    weighted_dice,
    wording,
)
from monitor.dedup.text import numbers, strip_boilerplate
from monitor.dedup.vocabulary import CopyVocabulary
from monitor.dedup.window import WindowIndex
from monitor.identity import strip_outlet
from monitor.textnorm import fold

T0 = datetime(2025, 9, 26, 9, 0, tzinfo=UTC)
SETTINGS = DedupSettings()


def test_rare_shared_terms_weigh_more_than_common_ones() -> None:
    stats = TermStats()
    for i in range(50):
        stats.add({"iran", "russia", f"word{i}"})
    stats.add({"iran", "russia", "bushehr"})
    a = frozenset({"iran", "russia", "bushehr", "unit"})
    common = frozenset({"iran", "russia", "other", "thing"})
    rare = frozenset({"bushehr", "unit", "other", "thing"})
    assert weighted_dice(a, rare, stats) > weighted_dice(a, common, stats)
    assert weighted_containment(a, a | {"extra"}, stats) == 1.0


def test_item_totals_are_kept_until_the_window_changes_much() -> None:
    stats = TermStats()
    for i in range(100):
        stats.add({f"w{i}"})
    terms = frozenset({"w1", "w2", "new"})
    first = stats.total(7, terms)
    stats.add({"w1"})
    assert stats.total(7, terms) == first  # one more item: the kept total
    for _ in range(20):
        stats.add({"w1"})
    assert stats.total(7, terms) < first  # w1 is common now


def test_aligned_sentences_and_templated_figures() -> None:
    a = wording(
        "Rate set",
        "The central bank set the ruble rate for Monday at 5,120 rials per ruble. "
        "The rate is used for settlements in national currencies between the two countries.",
    )
    copy = wording(
        "Ruble rate",
        "The central bank set the ruble rate for Monday at 5,120 rials per ruble. "
        "The rate serves settlements in national currencies between both countries.",
    )
    next_day = wording(
        "Rate set",
        "The central bank set the ruble rate for Tuesday at 5,164 rials per ruble. "
        "The rate is used for settlements in national currencies between the two countries.",
    )
    assert aligned_sentences(a, copy) == (1.0, False)
    share, conflict = aligned_sentences(a, next_day)
    assert share == 1.0
    assert conflict


def _doc(item_id: int, text: str, *, hours: float = 0, lang: str = "en") -> object:
    return make_doc(
        item_id=item_id,
        source_id=item_id,
        language=lang,
        time=T0 + timedelta(hours=hours),
        title=f"Report {item_id}",
        text=text,
        settings=SETTINGS,
        vocabulary=CopyVocabulary(shipped_outlets()),
    )


def test_window_finds_items_sharing_rare_keys_in_the_time_range() -> None:
    window = WindowIndex()
    filler = " ".join(f"topic{i} matter{i} issue{i}." for i in range(3))
    for i in range(1, 40):
        window.add(_doc(i, f"Officials discussed {filler} item{i} number {100 + i}."))  # type: ignore[arg-type]
    target = _doc(
        40, "Rosatom and Tehran agreed on Hormoz units worth 25 billion at Sirik on the coast."
    )
    far = _doc(41, target.body.body, hours=24 * 30)  # type: ignore[attr-defined]
    window.add(target)  # type: ignore[arg-type]
    window.add(far)  # type: ignore[arg-type]
    new = _doc(42, "At Sirik on the coast Rosatom will build Hormoz units worth 25 billion.")
    found = window.candidates(new, T0 - timedelta(days=7), T0 + timedelta(days=7), 5)  # type: ignore[arg-type]
    assert found[0] == 40
    assert 41 not in found  # outside the time range
    window.remove(40)
    assert 40 not in window.candidates(new, T0 - timedelta(days=7), T0 + timedelta(days=7), 5)  # type: ignore[arg-type]


def test_window_reads_only_ranges_not_read_yet() -> None:
    window = WindowIndex()
    asked: list[tuple[datetime, datetime]] = []

    def fetch(lo: datetime, hi: datetime) -> list[object]:
        asked.append((lo, hi))
        return []

    day = timedelta(days=1)
    window.load(T0, T0 + day, fetch, margin=timedelta(0))  # type: ignore[arg-type]
    window.load(T0, T0 + day, fetch, margin=timedelta(0))  # type: ignore[arg-type]
    window.load(T0 + day / 2, T0 + 2 * day, fetch, margin=timedelta(0))  # type: ignore[arg-type]
    assert asked == [(T0, T0 + day), (T0 + day, T0 + 2 * day)]


def test_window_forgets_items_outside_the_range_when_full() -> None:
    window = WindowIndex()
    for i in range(1, 11):
        window.add(_doc(i, f"Report number {i} on talks.", hours=24 * i))  # type: ignore[arg-type]
    lo, hi = T0 + timedelta(days=8), T0 + timedelta(days=11)
    window.trim(lo, hi, max_docs=20)
    assert len(window) == 10  # below the limit: nothing forgotten
    window.trim(lo, hi, max_docs=5)
    assert sorted(window.docs) == [8, 9, 10]
    assert window.stats.stems.items == 3


def test_a_document_folded_once_has_the_features_of_each_function_folding_its_own() -> None:
    ordinary = (
        "MOSCOW, March 12 (TASS) - Lavrov met Araghchi on 19 and 26 September; 45 tonnes.\n"
        "Вторая строка: 3 июня подписали 1,250 контрактов.\nدر ۲۶ آذر ۱۲ پروژه امضا شد."
    )
    # a tatweel between a letter and its mark: folding twice differs from folding once ("май"
    # becomes a month name only at the second folding)
    unstable = (
        "Ba\u0640\u0301 met 12 officials on 3 June 2025, 45 tonnes. Second line 7 June 88. "
        "Встреча 14 ма\u0438\u0640\u0306 прошла в Москве, подписали 30 соглашений."
    )
    outlets = shipped_outlets()
    for text in (ordinary, unstable):
        title = "Iran, Russia sign 12 deals on 3 June - Reuters"
        doc = make_doc(
            item_id=1,
            source_id=1,
            language="en",
            time=T0,
            title=title,
            text=text,
            settings=SETTINGS,
            vocabulary=CopyVocabulary(outlets),
        )
        cleaned = strip_boilerplate(text, outlets)
        headline = strip_outlet(title, outlets)
        assert doc.wording == wording(headline, cleaned)
        assert doc.body.numbers == numbers(anchors.without_dates(cleaned))
        assert doc.title_numbers == numbers(anchors.without_dates(headline))
        assert doc.dates == anchors.named_dates(cleaned, T0)
    assert fold(fold(unstable)) != fold(unstable)
