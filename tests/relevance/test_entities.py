"""Entity tags: found in English, Russian (inflected) and Persian, never scored, stored as tags."""

from __future__ import annotations

import pytest
import yaml

from monitor.errors import ConfigError
from monitor.relevance.matcher import Matcher
from monitor.relevance.stage import tag_values
from monitor.relevance.topic import Topic, topic_from_data
from tests.relevance.conftest import TOPIC_PATH


def test_entities_in_three_languages(matcher: Matcher) -> None:
    en = matcher.judge(
        "Iran and Russia sign loan for Rasht-Astara railway",
        "The line is the missing link of the International North-South Transport Corridor.",
    )
    assert {"Rasht–Astara railway", "North–South Transport Corridor"} <= set(en.entities)
    assert en.entities["Rasht–Astara railway"][0].where == "title"

    # inflected Russian: «Бушер» in the genitive, Росатом in the instrumental, Каспийскому
    ru = matcher.judge(
        "Россия ускорит строительство второго блока АЭС «Бушера»",
        "Договор с «Росатомом» предусматривает доставку оборудования по Каспийскому морю.",
    )
    assert {"Bushehr nuclear power plant", "Rosatom", "Caspian Sea"} <= set(ru.entities)
    assert ru.entities["Rosatom"][0].form == "росатомом"
    ru_treaty = matcher.judge(
        "Иран и Россия", "Подписан договор о всеобъемлющем стратегическом партнёрстве."
    )
    assert "Comprehensive Strategic Partnership Treaty" in ru_treaty.entities

    # Persian with Arabic letter forms and a ZWNJ
    fa = matcher.judge(
        "اتصال كامل كارت‌هاي مير روسيه به شبكه شتاب",
        "بانک مرکزی ایران اعلام کرد اتصال شبکه شتاب به سامانه پرداخت میر کامل شد.",
    )
    assert {"Mir payment system", "Shetab network"} <= set(fa.entities)


def test_common_words_are_not_entities(matcher: Matcher) -> None:
    # "мир" (peace), "шاهد" (witness) and "с 400" are ordinary words, not the card system,
    # the drone or the air-defence system
    ru = matcher.judge("Россия и Иран за мир в регионе", "Торговля выросла с 400 до 500 млн.")
    assert not ru.entities
    fa = matcher.judge("ایران و روسیه", "ما شاهد گسترش همکاری‌ها هستیم.")
    assert "Shahed drones" not in fa.entities


def test_entities_never_change_score_themes_or_figures(topic: Topic) -> None:
    data = yaml.safe_load(TOPIC_PATH.read_text(encoding="utf-8"))
    data["entities"] = []
    without = Matcher(topic_from_data(data))
    with_entities = Matcher(topic)
    cases = [
        ("Putin and Pezeshkian discuss Bushehr and the INSTC", "Rosatom will build two units."),
        ("Caspian drill", "BRICS and SCO leaders met; Su-35 and S-400 were not discussed."),
        ("Россия и Иран", "«Газпром» поставит газ через Азербайджан; Лавров прибыл в Тегеран."),
    ]
    for title, text in cases:
        a, b = without.judge(title, text), with_entities.judge(title, text)
        assert b.entities
        assert (a.score, a.relevant, set(a.themes), set(a.figures)) == (
            b.score,
            b.relevant,
            set(b.themes),
            set(b.figures),
        )
        assert b.explanation.entities


def test_entity_tags_only_for_relevant_items(matcher: Matcher) -> None:
    rel = matcher.judge("Iran-Russia talks on Bushehr", "Rosatom and the AEOI met in Bushehr.")
    tags = {(t.kind, t.value) for t in tag_values(rel)}
    assert ("entity", "Bushehr nuclear power plant") in tags
    assert ("entity", "Atomic Energy Organization of Iran") in tags
    irrelevant = matcher.judge("Weather in Bushehr", "Hot and humid on the Gulf coast.")
    assert irrelevant.entities
    assert not irrelevant.relevant
    assert tag_values(irrelevant) == []


def test_bad_entity_reports_file_and_key() -> None:
    data = yaml.safe_load(TOPIC_PATH.read_text(encoding="utf-8"))
    data["entities"][2]["terms"]["ru"].append("мтк+ru_nope")
    with pytest.raises(ConfigError) as info:
        topic_from_data(data, "t.yaml")
    (problem,) = info.value.problems
    assert problem.file == "t.yaml"
    assert problem.key.startswith("entities.2.terms.ru.")
    assert "ru_nope" in problem.message

    data = yaml.safe_load(TOPIC_PATH.read_text(encoding="utf-8"))
    data["entities"].append(dict(data["entities"][0]))
    with pytest.raises(ConfigError) as info:
        topic_from_data(data, "t.yaml")
    assert "unique" in str(info.value)
