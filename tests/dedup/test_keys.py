"""Text preparation for dedup and copy/related decisions between two items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.config import DedupSettings, shipped_outlets
from monitor.dedup.match import compare_copy, compare_related, make_doc
from monitor.dedup.minhash import MinHasher, from_bytes, jaccard_estimate, to_bytes
from monitor.dedup.text import numbers, prepare_body, strip_boilerplate
from monitor.dedup.vocabulary import CopyVocabulary

SETTINGS = DedupSettings()
T0 = datetime(2025, 3, 1, 9, tzinfo=UTC)
BODY = (
    "The foreign ministers of the two countries met in the capital on Monday to discuss a new "
    "agreement on transit through the Caspian ports and the railway towards the Gulf.\n"
    "They agreed that a working group of 12 experts would prepare the text by the end of the "
    "month, and that customs procedures at the border would be simplified for rail freight.\n"
    "Officials said the project would cost about 1.6 billion dollars and take four years to build."
)

OUTLETS = shipped_outlets()


def test_strip_boilerplate_all_languages() -> None:
    text = "Real sentence one.\nЧитайте также: другое\nانتهای پیام\nSubscribe to our newsletter\n© Agency"
    assert strip_boilerplate(text, OUTLETS) == "Real sentence one."
    assert strip_boilerplate("МОСКВА, 3 июня. /ТАСС/. Текст новости.", OUTLETS) == "текст новости."
    assert strip_boilerplate("به گزارش ایرنا، متن خبر", OUTLETS) == "متن خبر"


def test_numbers() -> None:
    assert numbers("5,120 rials, 1,3 млрд, ۲۰ ساله, in 2025, 7 days") == {"5120", "1.3", "20"}


def test_minhash_estimate_and_roundtrip() -> None:
    hasher = MinHasher(128, 4)
    a = prepare_body(BODY, OUTLETS).shingles
    b = prepare_body(BODY.rsplit("\n", 1)[0], OUTLETS).shingles
    sa, sb = hasher.signature(sorted(a)), hasher.signature(sorted(b))
    true_j = len(a & b) / len(a | b)
    assert abs(jaccard_estimate(sa, sb) - true_j) < 0.15
    assert (from_bytes(to_bytes(sa)) == sa).all()
    assert hasher.band_hashes(sa).shape == (32,)
    # the same signature always gives the same band hashes (they are persisted)
    assert (MinHasher(128, 4).band_hashes(sa) == hasher.band_hashes(sa)).all()


def _doc(item_id: int, title: str, text: str, *, lang: str = "en", hours: float = 0, **kw: object):
    return make_doc(
        item_id=item_id,
        source_id=item_id,
        language=lang,
        time=T0 + timedelta(hours=hours),
        title=title,
        text=text,
        settings=SETTINGS,
        vocabulary=CopyVocabulary(OUTLETS),
        **kw,  # type: ignore[arg-type]
    )


def test_trimmed_retitled_credited_copy_is_copy() -> None:
    original = _doc(1, "Ministers agree on Caspian transit", BODY)
    copy = _doc(
        2,
        "New transit deal – Gulf Herald",
        "MOSCOW, March 1 (TASS) – " + BODY.rsplit("\n", 1)[0] + "\nSource: TASS",
        hours=2,
    )
    ev = compare_copy(copy, original, SETTINGS)
    assert ev is not None
    assert ev.signal == "near_copy"
    assert ev.similarity >= 0.8


def test_templated_brief_with_other_figures_is_not_copy_nor_related() -> None:
    brief = (
        "The central bank set the official rate of the ruble at {a} rials for {d}, its daily bulletin said.\n"
        * 1
    )
    brief += (
        "The rate applies to settlements in national currencies under the bilateral agreement.\n"
    )
    brief += "On the previous day the rate was {b} rials per ruble. Rates for other currencies are listed too."
    one = _doc(1, "Ruble rate set", brief.format(a="5,120", b="5,087", d="Monday"))
    two = _doc(2, "Ruble rate set", brief.format(a="5,164", b="5,120", d="Tuesday"), hours=24)
    assert compare_copy(two, one, SETTINGS) is None
    assert compare_related(two, one, SETTINGS) is None


def test_boilerplate_only_bodies_never_copy() -> None:
    junk = "Read more on our website.\nSubscribe to our newsletter.\nFollow us on Telegram.\nAll rights reserved."
    a = _doc(1, "Defence minister visits arms fair", junk)
    b = _doc(2, "Wheat imports reach record", junk, hours=1)
    assert not a.informative
    assert not b.informative
    assert compare_copy(b, a, SETTINGS) is None


def test_title_only_copies_need_close_titles_and_time() -> None:
    a = _doc(1, "Iran and Russia hold joint naval drill in the Caspian Sea", "")
    b = _doc(2, "TASS: Iran and Russia hold joint naval drill in the Caspian Sea", "", hours=2)
    far = _doc(3, "Iran and Russia hold joint naval drill in the Caspian Sea", "", hours=24 * 30)
    other = _doc(4, "Iran and Russia hold joint air defence drill near Isfahan", "", hours=1)
    assert compare_copy(b, a, SETTINGS) is not None
    assert compare_copy(far, a, SETTINGS) is None
    assert compare_copy(other, a, SETTINGS) is None


def test_cross_language_related_needs_figures() -> None:
    en = _doc(
        1,
        "Lavrov and Araghchi meet",
        BODY,
        figures=frozenset({"lavrov", "araghchi"}),
        themes=frozenset({"diplomacy"}),
    )
    ru = _doc(
        2,
        "Лавров и Аракчи встретились",
        "Текст " * 60,
        lang="ru",
        hours=3,
        figures=frozenset({"lavrov", "araghchi"}),
        themes=frozenset({"diplomacy"}),
    )
    ru_later = _doc(
        3,
        "Лавров и Аракчи встретились",
        "Текст " * 60,
        lang="ru",
        hours=24 * 120,
        figures=frozenset({"lavrov", "araghchi"}),
        themes=frozenset({"diplomacy"}),
    )
    ru_one = _doc(
        4, "Лавров провёл встречу", "Текст " * 60, lang="ru", hours=3, figures=frozenset({"lavrov"})
    )
    assert compare_copy(ru, en, SETTINGS) is None
    ev = compare_related(ru, en, SETTINGS)
    assert ev is not None
    assert ev.detail["cross_language"] is True
    assert compare_related(ru_later, en, SETTINGS) is None
    assert compare_related(ru_one, en, SETTINGS) is None
