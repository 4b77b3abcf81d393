"""Snippets and marks of the search pages."""

from __future__ import annotations

from monitor.query import parse_query
from monitor.search.highlight import Highlighter


def test_snippet_starts_near_the_first_match_and_marks_it() -> None:
    text = "Filler words here. " * 40 + "Then the Bushehr plant got fuel. " + "More filler. " * 40
    out = str(Highlighter.build(parse_query("bushehr")).snippet(text, width=120))
    assert out.startswith("…")
    assert out.endswith("…")
    assert "<mark>Bushehr</mark> plant" in out
    assert out.index("<mark>") < 60  # a third of the width before the match, at most


def test_snippet_finds_phrases_persian_variants_and_falls_back_to_the_start() -> None:
    text = "a b c " * 80 + "Tehran and Moscow agree. " + "x " * 50
    hl = Highlighter.build(None, ["Tehran and Moscow"])
    out = str(hl.snippet(text, width=90))
    assert "<mark>Tehran</mark> <mark>and</mark> <mark>Moscow</mark>" in out
    assert "and" not in out.split("<mark>Tehran")[0]  # only "and" inside the phrase
    persian = "مقدمه " * 60 + "نيروگاه بوشهر"  # Arabic yeh in the text
    out = str(Highlighter.build(parse_query("نیروگاه")).snippet(persian, width=60))
    assert "<mark>نيروگاه</mark>" in out
    plain = Highlighter.build(parse_query("absent")).snippet("<b>one</b> two", width=50)
    assert str(plain) == "&lt;b&gt;one&lt;/b&gt; two"
