"""The matcher on the labelled development set: targets per language, well above the naive rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.relevance.evaluation import LanguageReport, evaluate, load_labelled
from monitor.relevance.matcher import Matcher

DATA = Path(__file__).resolve().parents[1] / "data" / "relevance"


@pytest.fixture(scope="module")
def reports(matcher: Matcher) -> dict[str, LanguageReport]:
    return {r.language: r for r in evaluate(matcher, load_labelled(DATA))}


def test_dev_set_shape() -> None:
    items = load_labelled(DATA)
    assert len(items) >= 150
    for lang in ("en", "ru", "fa"):
        subset = [i for i in items if i.language == lang]
        assert len(subset) >= 50
        kinds = {i.kind for i in subset}
        themes = {"military", "nuclear", "economy", "sanctions", "diplomacy", "treaty", "regional"}
        assert themes <= {i.kind for i in subset if i.label}
        assert {"iran_only", "russia_only", "list", "sports", "other_pair"} <= kinds
    assert len({i.id for i in items}) == len(items)


@pytest.mark.parametrize("lang", ["en", "ru", "fa"])
def test_targets(reports: dict[str, LanguageReport], lang: str) -> None:
    r = reports[lang]
    assert r.matcher.recall >= 0.95, r.errors
    assert r.matcher.precision >= 0.90, r.errors
    assert r.matcher.f1 > r.naive.f1 + 0.1
    assert r.detected_ok == r.items
