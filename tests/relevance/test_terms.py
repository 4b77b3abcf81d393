"""Tokenising: the fast whole-body splitting gives the tokens of the plain definition (paragraphs on
newlines, sentences on sentence-final marks, tokens ``\\w+|[^\\w\\s]``), and hits come in document
order."""

from __future__ import annotations

import random
import re

import pytest

from monitor.relevance.matcher import Matcher
from monitor.relevance.terms import tokenise
from monitor.textnorm import fold

_SENTENCE = re.compile(r"[.!?\u061f\u2026][\"'»”)\]]*\s+")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def reference(body: str) -> list[tuple[list[str], int, int]]:
    """Paragraph by paragraph, sentence by sentence: the definition tokenise must agree with."""
    out: list[tuple[list[str], int, int]] = []
    sentence = 0
    paragraphs = [p for p in fold(body).split("\n") if p and not p.isspace()]
    for p, para in enumerate(paragraphs):
        for piece in _SENTENCE.sub("\x00", para).split("\x00"):
            toks = _TOKEN.findall(piece)
            if toks:
                out.append((toks, p, sentence))
                sentence += 1
    return out


def body_segments(body: str) -> list[tuple[list[str], int, int]]:
    return [(s.tokens, s.paragraph, s.sentence) for s in tokenise("", body).segments[1:]]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("Iran-Russia talks. Moscow said «yes».\nNext paragraph!  Done", id="marks"),
        pytest.param("Price: $5, 10% (up) — or 3.5?\r\nNew line.\tTab", id="money and crlf"),
        pytest.param("ایران و روسیه، گفتگو کردند؛ چرا؟ بله.\n\n  \nپایان", id="persian marks"),
        pytest.param("a.\n.\n. \n…\n«»\n", id="marks only paragraphs"),
        pytest.param("end.\u00a0Next… “Quoted.”  After) x_y @home #tag", id="symbols"),
    ],
)
def test_tokenise_matches_the_definition(body: str) -> None:
    assert body_segments(body) == reference(body)


def test_tokenise_matches_the_definition_on_random_text() -> None:
    rnd = random.Random(7)
    pieces = [*"ab Ир ای.!?…\"'»”)]\n\r\t\u00a0-–/,،؛؟%$@_()«", "Iran", ". ", ".\n", "\n\n"]
    for _ in range(2000):
        body = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 40)))
        assert body_segments(body) == reference(body), body


def test_hits_in_document_order(matcher: Matcher) -> None:
    doc = tokenise(
        "Russia and Iran", "Tehran, Moscow and Iran-Russia ties. Putin met Pezeshkian in Moscow."
    )
    hits = matcher.index.scan(doc)
    assert hits == sorted(hits, key=lambda h: (h[1], h[2]))
    # at one position the single-word term comes before the phrase starting there
    assert [h.form for h in matcher.index.find(doc)][:3] == ["russia", "russia and iran", "iran"]


def test_term_summary_ties_in_document_order(matcher: Matcher) -> None:
    iran = matcher.judge("", "Tehran said it. Iranian officials agreed. Iran denied.").explanation
    assert [e.form for e in iran.sides["iran"]] == ["tehran", "iranian", "iran"]
    moved = matcher.judge("", "Iran denied. Tehran said it. Iranian officials agreed.").explanation
    assert [e.form for e in moved.sides["iran"]] == ["iran", "tehran", "iranian"]
