"""The explanation's one JSON boundary: what the matcher writes reads back the same; anything
else is refused with a reason, never guessed at."""

from __future__ import annotations

import json
from typing import Any

import pytest

from monitor.explanation import (
    EXPLANATION_VERSION,
    Explanation,
    ExplanationFormatError,
    UnreadableExplanation,
    explanation_from_json,
    explanation_to_json,
    read_stored,
)
from monitor.relevance.matcher import Matcher

ITEMS = [
    (
        "Iran and Russia sign a gas deal",
        "Tehran and Moscow agreed on gas supplies via Azerbaijan. Putin met Pezeshkian.\n\n"
        "Sanctions were discussed. China, India, Turkey, Iran and Russia attended.",
    ),
    ("Iran beat Russia 2-1 in a friendly football match", "The match in Tehran. Goals, fans."),
    ("Weather in Moscow", "Snow is expected."),
]


@pytest.mark.parametrize(("title", "body"), ITEMS)
def test_what_the_matcher_writes_reads_back_the_same(
    matcher: Matcher, title: str, body: str
) -> None:
    explanation = matcher.judge(title, body, "en").explanation
    stored = json.loads(json.dumps(explanation_to_json(explanation)))
    assert stored["version"] == EXPLANATION_VERSION
    assert explanation_from_json(stored) == explanation
    assert read_stored(stored) == explanation


def test_a_label_survives_the_round_trip(matcher: Matcher) -> None:
    judged = matcher.judge(*ITEMS[0], "en")
    assert judged.relevant
    labelled = judged.labelled(False, reviewer="ana").explanation
    assert labelled.relevant is False
    assert labelled.label is not None
    assert (labelled.label.rules_said, labelled.label.reviewer) == (True, "ana")
    # a second label keeps what the rules said
    again = labelled.labelled(True)
    assert again.label is not None
    assert again.label.rules_said is True
    assert explanation_from_json(explanation_to_json(labelled)) == labelled


def _valid(matcher: Matcher) -> dict[str, Any]:
    return explanation_to_json(matcher.judge(*ITEMS[0], "en").explanation)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": None}, "no version"),
        ({"version": EXPLANATION_VERSION + 1}, f"version {EXPLANATION_VERSION + 1}"),
        ({"score": "high"}, "malformed at score"),
        ({"points": [{"reason": "x"}]}, "malformed at points.0.where"),
        ({"rules": [{"rule": "r", "kind": "maybe", "points": 1}]}, "malformed at rules.0.kind"),
    ],
)
def test_other_versions_and_shapes_are_refused_with_a_reason(
    matcher: Matcher, change: dict[str, Any], message: str
) -> None:
    raw = _valid(matcher) | change
    if change.get("version", 0) is None:
        del raw["version"]
    with pytest.raises(ExplanationFormatError, match=message):
        explanation_from_json(raw)
    unreadable = read_stored(raw)
    assert isinstance(unreadable, UnreadableExplanation)
    assert message in unreadable.reason
    assert "monitor rescore" in unreadable.advice


def test_read_stored_never_raises() -> None:
    assert read_stored(None) is None
    for raw in ([], "text", 3, {}, {"version": "1"}):
        assert isinstance(read_stored(raw), UnreadableExplanation)


def test_matched_forms_for_highlighting(matcher: Matcher) -> None:
    explanation = matcher.judge(*ITEMS[0], "en").explanation
    assert isinstance(explanation, Explanation)
    forms = explanation.matched_forms()
    assert {"iran and russia", "tehran", "moscow", "putin"} <= set(forms)
    assert len(forms) == len(set(forms))
    assert explanation.matched_forms(limit=2) == forms[:2]
