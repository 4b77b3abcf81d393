"""Cross-language related reports linked through shared entity tags (monitor.dedup.match)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.config import DedupSettings, shipped_outlets
from monitor.dedup.match import Doc, compare_related, make_doc
from monitor.dedup.vocabulary import CopyVocabulary

SETTINGS = DedupSettings()
T0 = datetime(2025, 10, 20, 10, 0, tzinfo=UTC)
GENERIC = frozenset({"Caspian Sea", "BRICS"})


def _doc(
    item_id: int,
    lang: str,
    *,
    hours: float = 0,
    text: str = "",
    entities: frozenset[str] = frozenset(),
    figures: frozenset[str] = frozenset(),
    themes: frozenset[str] = frozenset({"nuclear"}),
    title: str = "",
) -> Doc:
    return make_doc(
        item_id=item_id,
        source_id=item_id,
        language=lang,
        time=T0 + timedelta(hours=hours),
        title=title or f"Report {item_id}",
        text=text or f"Body of report {item_id} " * 20,
        settings=SETTINGS,
        figures=figures,
        themes=themes,
        entities=entities,
        vocabulary=CopyVocabulary(shipped_outlets(), generic_entities=GENERIC),
    )


PLANT = frozenset({"Bushehr", "Rosatom"})


def test_two_specific_entities_and_a_theme_link_languages_the_same_day() -> None:
    ru = _doc(1, "ru", entities=PLANT | {"Caspian Sea"})
    fa = _doc(2, "fa", hours=2, entities=PLANT | {"Caspian Sea"})
    ev = compare_related(fa, ru, SETTINGS)
    assert ev is not None
    assert ev.detail["cross_language"] is True
    assert ev.detail["shared_entities"] == ["Bushehr", "Caspian Sea", "Rosatom"]
    # the same tags two days apart need a shared number
    later = _doc(3, "en", hours=50, entities=PLANT)
    assert compare_related(later, ru, SETTINGS) is None
    with_number = _doc(4, "en", hours=50, entities=PLANT, text="Unit 163 " * 20)
    ru_number = _doc(5, "ru", entities=PLANT, text="Блок 163 " * 20)
    assert compare_related(with_number, ru_number, SETTINGS) is not None
    # … and never beyond the related window
    far = _doc(6, "en", hours=SETTINGS.related_window_hours + 1, entities=PLANT, text="163 " * 20)
    assert compare_related(far, ru_number, SETTINGS) is None


def test_an_entity_and_a_figure_count_like_two_figures() -> None:
    en = _doc(1, "en", entities=frozenset({"Bushehr"}), figures=frozenset({"Likhachev"}))
    fa = _doc(2, "fa", hours=3, entities=frozenset({"Bushehr"}), figures=frozenset({"Likhachev"}))
    assert compare_related(fa, en, SETTINGS) is not None


def test_one_entity_alone_does_not_link() -> None:
    en = _doc(1, "en", entities=frozenset({"Bushehr"}))
    fa = _doc(2, "fa", hours=1, entities=frozenset({"Bushehr"}))
    assert compare_related(fa, en, SETTINGS) is None


def test_generic_entities_count_half_and_never_alone() -> None:
    # one specific + one generic entity: 1.5 anchors, not enough with a theme
    en = _doc(1, "en", entities=frozenset({"Bushehr", "Caspian Sea"}))
    fa = _doc(2, "fa", hours=1, entities=frozenset({"Bushehr", "Caspian Sea"}))
    assert compare_related(fa, en, SETTINGS) is None
    # generic entities only, even with shared numbers: no link
    both = frozenset({"Caspian Sea", "BRICS"})
    en_g = _doc(3, "en", entities=both, text="Forum 2500 guests 120 ships " * 10)
    ru_g = _doc(4, "ru", hours=1, entities=both, text="Форум 2500 гостей 120 судов " * 10)
    assert compare_related(ru_g, en_g, SETTINGS) is None
    # the same names as specific entities (no generic list) would link
    plain = [
        make_doc(
            item_id=d.item_id,
            source_id=d.source_id,
            language=d.language,
            time=d.time,
            title=d.title,
            text=" ".join(d.body.tokens),
            settings=SETTINGS,
            themes=d.themes,
            entities=both,
            vocabulary=CopyVocabulary(shipped_outlets()),
        )
        for d in (en_g, ru_g)
    ]
    assert compare_related(plain[1], plain[0], SETTINGS) is not None


def test_same_language_ignores_entities() -> None:
    a = _doc(1, "en", entities=PLANT, title="Plant builders pour concrete")
    b = _doc(2, "en", hours=1, entities=PLANT, title="Fuel shipment leaves port")
    assert compare_related(b, a, SETTINGS) is None
