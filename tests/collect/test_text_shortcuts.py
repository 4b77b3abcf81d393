"""The quick ways of :mod:`monitor.collect.text` (bare tags read without HTMLParser, white space
left alone when there is none to collapse) give exactly what the general way gives."""

from __future__ import annotations

import random

import pytest

from monitor.collect import text
from monitor.collect.text import clean_text, convert_html

TAGS = [
    "<p>", "</p>", "<br>", "</br>", "<li>", "</li>", "<ul>", "</ul>", "<ol>", "</ol>", "<b>",
    "</b>", "<q>", "</q>", "<pre>", "</pre>", "<td>", "<tr>", "</tr>", "<h2>", "</h2>", "<hr>",
    "<div>", "</div>", "<script>", "</script>", "<style>", "<svg>", "</svg>", "<P>", "<br/>",
    "<p class='x'>", "<!-- c -->", "< p>", "</ p>", "<", ">", "<3", "<![CDATA[x]]>", "</>",
]  # fmt: skip
WORDS = [
    "word", "Iran", " ", "  ", "\n", "\n\n", "\t", "\r\n", "\xa0", "&amp;", "&nbsp;", "&#169;",
    "&#x41;", "&", "&am", "&copy", "x&y", "&lt;p&gt;", ",", ".", ";", "»", "Слово", "ایران",
    "\x0b", "\u2028", " \xa0 ", "\f", "\r", " \t ",
]  # fmt: skip


def samples(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pieces = [
            rng.choice(TAGS if rng.random() < 0.4 else WORDS) for _ in range(rng.randint(0, 24))
        ]
        out.append("".join(pieces))
    return out


def bare_tag_samples(n: int, seed: int) -> list[str]:
    """Only bare lower-case tags and text: the markup the quick way reads itself."""
    bare = [t for t in TAGS if text._BARE_TAG.fullmatch(t)]
    rng = random.Random(seed)
    return [
        "".join(
            rng.choice(bare if rng.random() < 0.4 else WORDS) for _ in range(rng.randint(1, 24))
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("single_line", [False, True])
def test_quick_ways_read_as_the_general_way(
    single_line: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    markups = samples(1500, seed=1) + bare_tag_samples(1500, seed=2)
    quick = [convert_html(m, single_line=single_line) for m in markups]
    monkeypatch.setattr(text, "_feed_bare_tags", lambda builder, markup: False)
    monkeypatch.setattr(text, "_HTML_SPACE_NEED", ("",))  # "" is in every text: always collapse
    monkeypatch.setattr(text, "_SPACES_NEED", ("",))
    general = [convert_html(m, single_line=single_line) for m in markups]
    assert quick == general


def test_bare_tags_are_read_without_html_parser() -> None:
    builder = text._TextBuilder(single_line=False)
    assert text._feed_bare_tags(builder, "<p>One &amp; two</p><p>Three<br>four</p>")
    assert builder.result() == "One & two\n\nThree\nfour"
    for markup in ("<p class='x'>a</p>", "<P>a", "a < b", "<script>x</script>", "<!-- c -->"):
        assert not text._feed_bare_tags(text._TextBuilder(single_line=False), markup)


def reference_clean_text(value: str) -> str:
    value = text._CONTROL.sub("", value).replace("\r\n", "\n")
    lines = [text._SPACES.sub(" ", line).strip() for line in value.split("\n")]
    return text._BLANKS.sub("\n\n", "\n".join(lines)).strip()


def test_clean_text_as_with_every_substitution() -> None:
    for value in samples(3000, seed=3):
        assert clean_text(value) == reference_clean_text(value), repr(value)
