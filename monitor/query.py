"""A small boolean query language, shared by topic rules and archive search.

Syntax::

    iran russia              adjacency means AND
    iran AND (russia OR moscow)
    "strategic partnership"  a phrase: the words in this order, next to each other
    sanction*                a prefix: any word starting with "sanction"
    NOT football, -football  negation
    iran-russia              a word with inner punctuation is a phrase ("iran russia")
    title:corridor           a field: the word (or "phrase", or prefix*) in the title
    source:TASS  lang:ru     the source's name, the item's language
    theme:nuclear  entity:Bushehr  figure:Putin   the item's tags

Fields: ``title:`` takes a word, prefix or phrase that must appear in the title. ``lang:`` takes a
language code. ``source:``, ``theme:``, ``entity:`` and ``figure:`` take a name (quoted when it has
spaces) and match, ignoring case, every name that starts with it or has a word starting with it
(``figure:putin`` matches "Vladimir Putin"; ``source:tass`` matches "TASS (en)" and "TASS (ru)").
A word with a colon and another prefix (``10:30``) is an ordinary word.

Operators are upper-case words (``AND``, ``OR``, ``NOT``); lower-case ``and``/``or`` are plain
words. Precedence: NOT (and ``-``) binds tightest, then AND (explicit or adjacency), then OR.
Terms and phrases are folded with :func:`monitor.textnorm.fold` and compared with the word tokens
of :func:`monitor.textnorm.normalise`, so case, Persian letter variants, ZWNJ and ё/е do not matter.

A query must be able to match something: ``-football`` alone, or ``a OR -b``, is rejected
("needs at least one positive term"). Every error is a
:class:`~monitor.errors.QuerySyntaxError` carrying the 0-based character position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from monitor.errors import QuerySyntaxError
from monitor.textnorm import normalise


@dataclass(frozen=True)
class Term:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Field:
    """``name:value``: a title term (``inner``) or a property of the item (``value``)."""

    name: str  # one of FIELDS
    value: str  # as typed (without quotes)
    inner: Term | Phrase | None = None  # title: what must appear in the title


Node = Term | Phrase | Not | And | Or | Field

FIELDS = ("title", "source", "lang", "theme", "entity", "figure")
META_FIELDS = ("source", "lang", "theme", "entity", "figure")  # not in the text index


def name_matches(value: str, name: str) -> bool:
    """Whether a field value (``figure:putin``) matches a stored name ("Vladimir Putin"): the
    name, ignoring case, starts with it or has a word starting with it."""
    v, n = value.casefold(), name.casefold()
    return n.startswith(v) or (" " + v) in n


# --------------------------------------------------------------------------- lexer

_OPERATORS = {"AND", "OR", "NOT"}


@dataclass(frozen=True)
class _Token:
    kind: str  # "(" ")" "-" AND OR NOT WORD PHRASE FIELD END
    text: str
    pos: int
    value: str = ""  # FIELD: the value, quotes removed
    quoted: bool = False


def _field_name(word: str) -> str | None:
    head, sep, _ = word.partition(":")
    return head.lower() if sep and head.lower() in FIELDS else None


_SPECIAL = '()"'


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, i))
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError("unclosed quote", i, text)
            tokens.append(_Token("PHRASE", text[i + 1 : end], i))
            i = end + 1
        elif ch == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != ")":
            tokens.append(_Token("-", ch, i))
            i += 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in _SPECIAL:
                i += 1
            word = text[start:i]
            field = _field_name(word)
            if field is not None:
                value = word[len(field) + 1 :]
                quoted = False
                if not value and i < n and text[i] == '"':
                    end = text.find('"', i + 1)
                    if end < 0:
                        raise QuerySyntaxError("unclosed quote", i, text)
                    value, quoted, i = text[i + 1 : end], True, end + 1
                if not value.strip():
                    raise QuerySyntaxError(f"{field}: needs a value after it", start, text)
                tokens.append(_Token("FIELD", field, start, value.strip(), quoted))
                continue
            kind = word if word in _OPERATORS else "WORD"
            tokens.append(_Token(kind, word, start))
    tokens.append(_Token("END", "", n))
    return tokens


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _lex(text)
        self.i = 0
        self.first_negation: int | None = None

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, pos, self.text)

    def parse(self) -> Node:
        if self.peek().kind == "END":
            raise self.error("empty query", 0)
        node = self.parse_or()
        tok = self.peek()
        if tok.kind == ")":
            raise self.error("unmatched ')'", tok.pos)
        if tok.kind != "END":  # pragma: no cover - parse_or consumes everything else
            raise self.error(f"unexpected {tok.text!r}", tok.pos)
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.peek().kind == "OR":
            op = self.take()
            if self.peek().kind in ("END", ")", "OR", "AND"):
                raise self.error("OR needs a term on both sides", op.pos)
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        first = self.peek()
        if first.kind in ("AND", "OR"):
            raise self.error(f"{first.kind} needs a term on both sides", first.pos)
        children = [self.parse_unary()]
        while True:
            tok = self.peek()
            if tok.kind == "AND":
                self.take()
                if self.peek().kind in ("END", ")", "OR", "AND"):
                    raise self.error("AND needs a term on both sides", tok.pos)
                children.append(self.parse_unary())
            elif tok.kind in ("WORD", "PHRASE", "FIELD", "(", "NOT", "-"):
                children.append(self.parse_unary())
            else:
                break
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        tok = self.peek()
        if tok.kind in ("NOT", "-"):
            self.take()
            if self.first_negation is None:
                self.first_negation = tok.pos
            if self.peek().kind in ("END", ")", "OR", "AND"):
                raise self.error(f"{tok.text} needs a term after it", tok.pos)
            return Not(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.take()
        if tok.kind == "(":
            if self.peek().kind == ")":
                raise self.error("empty parentheses", tok.pos)
            node = self.parse_or()
            close = self.take()
            if close.kind != ")":
                raise self.error("unclosed '('", tok.pos)
            return node
        if tok.kind == "PHRASE":
            words = tuple(normalise(tok.text).split())
            if not words:
                raise self.error("empty phrase", tok.pos)
            return Term(words[0]) if len(words) == 1 else Phrase(words)
        if tok.kind == "WORD":
            return self.word(tok)
        if tok.kind == "FIELD":
            return self.field(tok)
        if tok.kind == ")":
            raise self.error("unmatched ')'", tok.pos)
        raise self.error("unexpected end of query", tok.pos)  # pragma: no cover

    def word(self, tok: _Token) -> Node:
        raw = tok.text
        prefix = raw.endswith("*")
        body = raw[:-1] if prefix else raw
        star = body.find("*")
        if star >= 0:
            raise self.error("'*' only works at the end of a word", tok.pos + star)
        words = normalise(body).split()
        if not words:
            where = tok.pos + len(body) if prefix else tok.pos
            raise self.error("nothing to search for in this word", where)
        if len(words) > 1:
            if prefix:
                raise self.error("'*' only works on a single word", tok.pos + len(raw) - 1)
            return Phrase(tuple(words))
        return Term(words[0], prefix=prefix)

    def field(self, tok: _Token) -> Field:
        if tok.text != "title":
            return Field(tok.text, tok.value)
        if tok.quoted:
            words = tuple(normalise(tok.value).split())
            if not words:
                raise self.error("empty phrase", tok.pos)
            inner: Term | Phrase = Term(words[0]) if len(words) == 1 else Phrase(words)
        else:
            node = self.word(_Token("WORD", tok.value, tok.pos + len("title:")))
            assert isinstance(node, Term | Phrase)
            inner = node
        return Field("title", tok.value, inner)


def is_positive(node: Node) -> bool:
    """Whether the node can only match documents that contain some term (not only absences)."""
    if isinstance(node, Term | Phrase | Field):
        return True
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(is_positive(c) for c in node.children)
    return all(is_positive(c) for c in node.children)


def field_names(node: Node) -> frozenset[str]:
    """The fields (``source``, ``theme``, …) the query reads, negated or not."""
    if isinstance(node, Field):
        return frozenset((node.name,))
    if isinstance(node, Not):
        return field_names(node.child)
    if isinstance(node, And | Or):
        return frozenset().union(*(field_names(c) for c in node.children))
    return frozenset()


def parse_query(text: str, *, max_length: int = 500) -> Node:
    """Parse ``text`` into a query tree; raises QuerySyntaxError with the error's position."""
    if len(text) > max_length:
        raise QuerySyntaxError(f"query longer than {max_length} characters", max_length, text)
    parser = _Parser(text)
    node = parser.parse()
    if not is_positive(node):
        raise QuerySyntaxError(
            "needs at least one positive term (a word or phrase that must appear)",
            parser.first_negation or 0,
            text,
        )
    return node


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Prepared:
    """A text's word tokens, prepared once for evaluating many queries; optionally the title's
    (for ``title:``) and the item's properties (for ``lang:``, ``source:`` and the tags)."""

    tokens: tuple[str, ...]
    vocabulary: frozenset[str]
    title: Prepared | None = None
    properties: Mapping[str, tuple[str, ...]] | None = None  # field name → values

    @classmethod
    def from_tokens(
        cls,
        tokens: Iterable[str],
        *,
        title: Iterable[str] | None = None,
        properties: Mapping[str, Iterable[str]] | None = None,
    ) -> Prepared:
        toks = tuple(tokens)
        head = cls.from_tokens(title) if title is not None else None
        props = {k: tuple(v) for k, v in properties.items()} if properties is not None else None
        return cls(toks, frozenset(toks), head, props)


def prepare(text: str) -> Prepared:
    return Prepared.from_tokens(normalise(text).split())


def _phrase_in(words: tuple[str, ...], tokens: tuple[str, ...]) -> bool:
    first, n = words[0], len(words)
    start = 0
    while True:
        try:
            i = tokens.index(first, start)
        except ValueError:
            return False
        if tokens[i : i + n] == words:
            return True
        start = i + 1


def _field(node: Field, doc: Prepared) -> bool:
    if node.name == "title":
        return doc.title is not None and node.inner is not None and evaluate(node.inner, doc.title)
    values = (doc.properties or {}).get(node.name, ())
    if node.name == "lang":
        return node.value.casefold() in (v.casefold() for v in values)
    return any(name_matches(node.value, v) for v in values)


def evaluate(node: Node, doc: Prepared) -> bool:
    if isinstance(node, Field):
        return _field(node, doc)
    if isinstance(node, Term):
        if node.prefix:
            return any(t.startswith(node.text) for t in doc.vocabulary)
        return node.text in doc.vocabulary
    if isinstance(node, Phrase):
        return all(w in doc.vocabulary for w in node.words) and _phrase_in(node.words, doc.tokens)
    if isinstance(node, Not):
        return not evaluate(node.child, doc)
    if isinstance(node, And):
        return all(evaluate(c, doc) for c in node.children)
    return any(evaluate(c, doc) for c in node.children)


def matches(node: Node, text: str | Prepared) -> bool:
    """Whether plain ``text`` (or an already prepared text) satisfies the query."""
    doc = text if isinstance(text, Prepared) else prepare(text)
    return evaluate(node, doc)


def positive_terms(node: Node) -> list[Term | Phrase]:
    """The terms and phrases that must or may appear (for highlighting); negated ones excluded."""
    if isinstance(node, Term | Phrase):
        return [node]
    if isinstance(node, Field):
        return [node.inner] if node.inner is not None else []
    if isinstance(node, Not):
        return []
    out: list[Term | Phrase] = []
    for child in node.children:
        out.extend(positive_terms(child))
    return out
