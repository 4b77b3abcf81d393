"""Matching across spelling variants, scoring properties, themes, figures and topic validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.errors import ConfigError
from monitor.relevance.matcher import Matcher
from monitor.relevance.terms import TermSyntaxError, parse_term
from monitor.relevance.topic import Topic, load_topic, topic_from_data

from .conftest import TOPIC_PATH


def sides(matcher: Matcher, title: str, body: str = "") -> dict[str, list[str]]:
    exp = matcher.judge(title, body).explanation
    out = {k: sorted({e.form for e in v}) for k, v in exp.sides.items()}
    out["bilateral"] = sorted({e.form for e in exp.bilateral})
    return out


@pytest.mark.parametrize(
    ("text", "side", "form"),
    [
        pytest.param("Переговоры с Ираном", "iran", "ираном", id="ru instrumental"),
        pytest.param("В Иране прошли выборы", "iran", "иране", id="ru prepositional"),
        pytest.param("иранская делегация", "iran", "иранская", id="ru adjective fem"),
        pytest.param("иранских беспилотников", "iran", "иранских", id="ru adjective gen pl"),
        pytest.param("Россией и Китаем", "russia", "россией", id="ru instrumental russia"),
        pytest.param("заявили в РФ", "russia", "рф", id="ru abbreviation"),
        pytest.param("Кремлём", "russia", "кремлем", id="ru yo folded"),
        pytest.param("из Москвы", "russia", "москвы", id="ru moscow genitive"),
        pytest.param("سفر به روسيه", "russia", "روسیه", id="fa arabic yeh"),
        pytest.param("مقامات روس‌ها", "russia", "روسها", id="fa zwnj plural"),
        pytest.param("خامنه ای گفت", "iran", "خامنه ای", id="fa name written with space"),
        pytest.param("خامنه‌ای گفت", "iran", "خامنهای", id="fa name written with zwnj"),
        pytest.param("هيئت ايراني", "iran", "ایرانی", id="fa adjective arabic yeh"),
        pytest.param("مسكو", "russia", "مسکو", id="fa arabic kaf"),
        pytest.param("Araqchi said", "iran", "araqchi", id="en transliteration"),
        pytest.param("ARAGHCHI SAID", "iran", "araghchi", id="en upper case"),
    ],
)
def test_variants_match(matcher: Matcher, text: str, side: str, form: str) -> None:
    assert form in sides(matcher, text)[side]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("москвич купил машину", id="ru muscovite is not moscow"),
        pytest.param("Ирландия и ирония", id="ru other words"),
        pytest.param("орфография", id="ru rf inside a word"),
        pytest.param("روستای کوچک", id="fa village is not russian"),
        pytest.param("روسری آبی", id="fa headscarf is not russian"),
        pytest.param("Russell and Irani", id="en near names"),
        pytest.param("Persian Gulf", id="en persian is not a side term"),
    ],
)
def test_false_stems_do_not_match(matcher: Matcher, text: str) -> None:
    found = sides(matcher, text)
    assert found == {"iran": [], "russia": [], "bilateral": []}


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("Iran-Russia talks", "iran russia"),
        ("Russo-Iranian ties", "russo iranian"),
        ("Iran–Russia treaty", "iran russia"),
        ("российско-иранские отношения", "российско иранские"),
        ("между Ираном и Россией", "ираном и россией"),
        ("روابط ایران و روسیه", "ایران و روسیه"),
        ("همکاری تهران-مسکو", "تهران مسکو"),
    ],
)
def test_bilateral_forms(matcher: Matcher, text: str, form: str) -> None:
    assert form in sides(matcher, text)["bilateral"]


def test_comma_list_is_not_bilateral(matcher: Matcher) -> None:
    assert sides(matcher, "China, Iran, Russia")["bilateral"] == []


# ------------------------------------------------------------------ scoring properties

FILLER = "Officials said more details would follow. The statement gave no date. "


def test_title_counts_more_than_body(matcher: Matcher) -> None:
    in_title = matcher.judge("Iran and Russian officials meet", FILLER)
    in_body = matcher.judge("Officials meet", FILLER * 3 + "Iran and Russian officials meet.")
    assert in_title.score > in_body.score


def test_same_sentence_beats_far_apart(matcher: Matcher) -> None:
    together = matcher.judge("Talks", FILLER + "Iranian officials met Russian envoys. " + FILLER)
    apart = matcher.judge(
        "Talks",
        FILLER + "Iranian officials met.\n" + FILLER * 2 + "\nRussian envoys left. " + FILLER,
    )
    assert together.score > apart.score > 0


def test_same_paragraph_beats_different_paragraphs(matcher: Matcher) -> None:
    body = "Iranian officials met. {sep}Russian envoys left."
    same = matcher.judge("Talks", FILLER + body.format(sep=""))
    apart = matcher.judge("Talks", FILLER + body.format(sep="\n"))
    assert same.score > apart.score


def test_bilateral_form_counts_most(matcher: Matcher) -> None:
    bilateral = matcher.judge("Iran-Russia talks open", "")
    pair = matcher.judge("Iranian talks open with Russian side", "")
    assert bilateral.score > pair.score
    assert bilateral.relevant


def test_list_mention_penalised(matcher: Matcher) -> None:
    listed = matcher.judge("Sanctions hit China, Iran, Russia and North Korea", "")
    pair = matcher.judge("Sanctions hit Iran and Russia", "")
    assert listed.score < pair.score
    assert not listed.relevant
    reasons = [p.reason for p in listed.explanation.penalties]
    assert "list_mention" in reasons
    assert set(listed.explanation.penalties[0].countries) == {"China", "North Korea"}


def test_sports_penalised(matcher: Matcher) -> None:
    sport = matcher.judge("Iran beat Russia in volleyball", "The match at the stadium ended 3-1.")
    talks = matcher.judge("Iran and Russia hold talks", "The meeting ended with a statement.")
    assert not sport.relevant
    assert talks.relevant
    assert [p.reason for p in sport.explanation.penalties] == ["sports"]


def test_one_side_is_never_relevant(matcher: Matcher) -> None:
    j = matcher.judge(
        "Iran Iran Tehran Khamenei", "Iran said Tehran would respond. Iranian officials agreed."
    )
    assert not j.relevant
    assert j.explanation.sides["russia"] == ()


def test_irrelevant_items_keep_score_and_explanation(matcher: Matcher) -> None:
    j = matcher.judge("Oil prices", "Exports from Russia held steady while Iran's fell.")
    assert not j.relevant
    assert j.score > 0
    assert j.explanation.points[0].reason.startswith("sentence_pair")


# ------------------------------------------------------------------ themes and figures


@pytest.mark.parametrize(
    ("title", "body", "theme", "form"),
    [
        ("Iran receives Russian Su-35 fighter jets", "", "military", "su 35"),
        ("Rosatom to build new Bushehr units in Iran", "", "nuclear", "bushehr"),
        ("Газпром начнет поставки газа в Иран", "Газ пойдет по трубопроводу.", "economy", "газа"),
        ("تحریم‌های جدید علیه ایران و روسیه", "", "sanctions", "تحریمهای"),
        ("Лавров провел переговоры с Аракчи", "", "diplomacy", "переговоры"),
        ("Putin and Pezeshkian sign treaty", "", "treaty", "treaty"),
        ("گفتگوی ایران و روسیه درباره سوریه", "", "regional", "سوریه"),
    ],
)
def test_themes_with_evidence(
    matcher: Matcher, title: str, body: str, theme: str, form: str
) -> None:
    j = matcher.judge(title, body)
    assert theme in j.themes
    ev = next(e for e in j.themes[theme] if e.form == form)
    assert ev.where == "title"
    assert form.split()[0] in ev.snippet


def test_theme_needs_enough_evidence(matcher: Matcher) -> None:
    j = matcher.judge("Iran and Russia talk", "The meeting covered many topics. Gas was mentioned.")
    assert "economy" not in j.themes  # one body mention is below theme_min
    j2 = matcher.judge("Iran and Russia talk", "Gas exports and oil swaps were discussed.")
    assert "economy" in j2.themes


def test_figures_with_evidence(matcher: Matcher) -> None:
    j = matcher.judge("Путин встретился с Пезешкианом", "Встреча Владимира Путина прошла в Кремле.")
    assert set(j.figures) == {"Vladimir Putin", "Masoud Pezeshkian"}
    forms = [e.form for e in j.figures["Vladimir Putin"]]
    assert forms == ["путин", "путина"]
    assert j.figures["Masoud Pezeshkian"][0].where == "title"


# ------------------------------------------------------------------ rules and topic validation


def _topic_with(topic: Topic, **changes: Any) -> Topic:
    data = yaml.safe_load(TOPIC_PATH.read_text(encoding="utf-8"))
    for key, value in changes.items():
        parent = data
        *path, last = key.split(".")
        for p in path:
            parent = parent[p]
        parent[last] = value
    return topic_from_data(data)


def test_include_and_exclude_rules(topic: Topic) -> None:
    t = _topic_with(
        topic,
        **{
            "rules.include": [{"name": "caspian summit", "query": '"caspian summit" iran'}],
            "rules.exclude": [{"name": "no chess", "query": "chess"}],
        },
    )
    m = Matcher(t)
    inc = m.judge("Caspian summit opens", "Iran's delegation arrived.")
    assert inc.relevant
    assert inc.explanation.rules[0].rule == "caspian summit"
    exc = m.judge("Iran and Russia meet at chess olympiad", "")
    assert not exc.relevant
    assert exc.score == 0
    assert exc.explanation.rules[0].kind == "exclude"


def test_custom_negative(topic: Topic) -> None:
    t = _topic_with(
        topic, **{"negatives.custom": [{"name": "games", "query": "esports", "factor": 0.1}]}
    )
    j = Matcher(t).judge("Iran and Russia teams meet in esports final", "")
    assert not j.relevant
    assert j.explanation.penalties[-1].reason == "custom:games"


def test_threshold_override(topic: Topic) -> None:
    j = Matcher(topic, threshold=50).judge("Iran-Russia treaty signed", "")
    assert not j.relevant
    assert j.threshold == 50


def test_bad_rule_reports_key_and_position(topic: Topic) -> None:
    with pytest.raises(ConfigError) as info:
        _topic_with(topic, **{"rules.exclude": [{"name": "bad", "query": "iran (football"}]})
    (problem,) = info.value.problems
    assert problem.key == "rules.exclude.0.query"
    assert "unclosed '(' at position 6" in problem.message


def test_bad_term_reports_key(topic: Topic) -> None:
    data = yaml.safe_load(TOPIC_PATH.read_text(encoding="utf-8"))
    data["bilateral"]["terms"]["ru"].append("иран+ru_nope")
    with pytest.raises(ConfigError) as info:
        topic_from_data(data, "t.yaml")
    (problem,) = info.value.problems
    assert problem.file == "t.yaml"
    assert problem.key.startswith("bilateral.terms.ru.")
    assert "unknown ending class 'ru_nope'" in problem.message


def test_unknown_key_and_side_count(tmp_path: Path) -> None:
    for change, expected in [("thresold", "thresold: unknown key"), ("sides", "exactly two sides")]:
        data = yaml.safe_load(TOPIC_PATH.read_text(encoding="utf-8"))
        if change == "sides":
            data["sides"].pop("russia")
        else:
            data["thresold"] = 2
        path = tmp_path / "t.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ConfigError) as info:
            load_topic(path)
        assert expected in str(info.value)
        assert str(path) in str(info.value)


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("name: x\nsides: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line"):
        load_topic(path)


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("", "empty term"),
        ("ir*", "at least 3 letters"),
        ("a{b", "cannot read"),
        ("x+nope", "unknown ending"),
    ],
)
def test_term_syntax(term: str, message: str) -> None:
    with pytest.raises(TermSyntaxError, match=message):
        parse_term(term, {"ru_noun": [""]})


def test_term_expansion() -> None:
    (alt,) = parse_term("иран+ru_noun", {"ru_noun": ["", "а", "ом"]})
    assert alt[0].forms == {"иран", "ирана", "ираном"}
    alts = parse_term("خامنه‌ای", {})
    assert [tuple(sorted(w.forms)[0] for w in a) for a in alts] == [("خامنهای",), ("خامنه", "ای")]
