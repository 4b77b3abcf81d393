"""The query language shared by topic rules and archive search."""

from __future__ import annotations

import pytest

from monitor.errors import QuerySyntaxError
from monitor.query import And, Not, Or, Phrase, Term, matches, parse_query


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        pytest.param("iran", Term("iran"), id="word"),
        pytest.param("Iran Russia", And((Term("iran"), Term("russia"))), id="adjacency is AND"),
        pytest.param("a OR b c", Or((Term("a"), And((Term("b"), Term("c"))))), id="AND before OR"),
        pytest.param("(a OR b) c", And((Or((Term("a"), Term("b"))), Term("c"))), id="parentheses"),
        pytest.param('"Strategic Partnership"', Phrase(("strategic", "partnership")), id="phrase"),
        pytest.param("sanction*", Term("sanction", prefix=True), id="prefix"),
        pytest.param("iran -football", And((Term("iran"), Not(Term("football")))), id="minus"),
        pytest.param("iran NOT NOT x", And((Term("iran"), Not(Not(Term("x"))))), id="double not"),
        pytest.param("Iran-Russia", Phrase(("iran", "russia")), id="hyphenated word is a phrase"),
        pytest.param("ايران", Term("ایران"), id="arabic yeh folded"),
        pytest.param(
            "iran and russia",
            And((Term("iran"), Term("and"), Term("russia"))),
            id="lower-case and is a word",
        ),
    ],
)
def test_parse(query: str, tree: object) -> None:
    assert parse_query(query) == tree


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        pytest.param("", 0, "empty query", id="empty"),
        pytest.param("iran (russia", 5, "unclosed '('", id="unclosed paren"),
        pytest.param("iran russia)", 11, "unmatched ')'", id="unmatched paren"),
        pytest.param('iran "strategic', 5, "unclosed quote", id="unclosed quote"),
        pytest.param("iran OR", 5, "OR needs a term", id="dangling OR"),
        pytest.param("AND iran", 0, "AND needs a term", id="leading AND"),
        pytest.param("iran NOT", 5, "NOT needs a term", id="dangling NOT"),
        pytest.param("ir*an", 2, "'*' only works at the end", id="inner star"),
        pytest.param("-football", 0, "needs at least one positive term", id="only negative"),
        pytest.param(
            "iran OR -football", 8, "needs at least one positive term", id="negative branch"
        ),
        pytest.param("iran ()", 5, "empty parentheses", id="empty parens"),
        pytest.param('iran ""', 5, "empty phrase", id="empty phrase"),
    ],
)
def test_errors_carry_position(query: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert info.value.position == position
    assert message in str(info.value)
    assert f"position {position + 1}" in str(info.value)


def test_max_length() -> None:
    with pytest.raises(QuerySyntaxError, match="longer than 20"):
        parse_query("iran " * 10, max_length=20)


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("iran russia", "Iran and Russia sign a deal", True),
        ("iran russia", "Iran signs a deal", False),
        ('"strategic partnership"', "A strategic, partnership-like deal", True),
        ('"strategic partnership"', "partnership that is strategic", False),
        ("sanction*", "New sanctions announced", True),
        ("iran -football", "Iran football news", False),
        ("iran -football", "Iran news", True),
        ("(gas OR oil) iran", "Iran oil exports", True),
        ("روسیه", "روسيه و ايران", True),
        ("می‌خواهد", "میخواهد", True),
        ("Ёлка", "елка", True),
    ],
)
def test_matches(query: str, text: str, expected: bool) -> None:
    assert matches(parse_query(query), text) is expected
