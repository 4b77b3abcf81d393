"""Term patterns compiled into one token index, and the tokenised document they run over.

A term (see :mod:`monitor.relevance.topic` for the syntax) becomes one or more *alternatives*, each
a sequence of word patterns. A word pattern is a finite set of exact forms (``иран+ru_noun_m``
expands to иран, ирана, ирану, …) plus optional prefixes (``sanction*``). Everything is folded with
:func:`monitor.textnorm.fold`, like the text.

Matching does not run one regex per term. The body is folded and marked once (sentence ends,
spaced-out punctuation) and split into paragraphs, sentences and tokens with plain string splits;
each token is looked up in a memo of what it can start (a dict for exact forms, a dict keyed by
the first three letters for prefixes, looked up once per distinct token per process). Words of a
phrase must follow each other, with at most one hyphen, dash or slash between them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import filterfalse
from typing import NamedTuple

from monitor.textnorm import fold

_WORD = re.compile(r"\w+")
_SPLIT_WORDS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014/]+")
_INLINE = re.compile(r"^(?P<stem>[^{}+*]*)\{(?P<ends>[^{}]*)\}$")
_CLASS = re.compile(r"^(?P<stem>[^{}+*]+)\+(?P<cls>[A-Za-z0-9_]+)$")
SEPARATORS = frozenset({"-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "/"})
MIN_PREFIX = 3
MEMO_SIZE = 200_000  # distinct tokens remembered by an index before it starts afresh

_TOKEN = re.compile(r"\w+|[^\w\s]")
# Over a whole body: a sentence end (sentence-final mark, closing quotes or brackets, spaces; never
# across a newline, which ends the paragraph).
_SENTENCE_END = re.compile(r"[.!?\u061f\u2026][\"'»”)\]]*[^\S\n]+")
# Common punctuation is spaced out with str.replace (fast); sentences holding any other mark go
# through the token regex (rare).
_COMMON_MARKS = tuple((c, f" {c} ") for c in ",.:;!?()[]\"'«»“”„‘’-–—/%…\u060c\u061b\u061f")
_BOUNDARY = "\x00"
_MARK = " \x00 "


class TermSyntaxError(ValueError):
    """A term string that cannot be compiled."""


@dataclass(frozen=True)
class WordPattern:
    forms: frozenset[str]
    prefixes: tuple[str, ...] = ()

    def matches(self, token: str) -> bool:
        return token in self.forms or token.startswith(self.prefixes)


def _folded_piece(piece: str, term: str) -> str:
    folded = fold(piece)
    if folded and not _WORD.fullmatch(folded):
        raise TermSyntaxError(f"{piece!r} holds characters that are not letters or digits")
    return folded


def _word(word: str, endings: Mapping[str, Sequence[str]], term: str) -> WordPattern:
    if m := _CLASS.match(word):
        cls = m.group("cls")
        if cls not in endings:
            known = ", ".join(sorted(endings)) or "none defined"
            raise TermSyntaxError(f"unknown ending class {cls!r} (known: {known})")
        stem = _folded_piece(m.group("stem"), term)
        return WordPattern(frozenset(stem + _folded_piece(e, term) for e in endings[cls]))
    if m := _INLINE.match(word):
        stem = _folded_piece(m.group("stem"), term)
        ends = [_folded_piece(e.strip(), term) for e in m.group("ends").split(",")]
        if not stem:
            raise TermSyntaxError("endings {…} need a stem before them")
        return WordPattern(frozenset(stem + e for e in ends))
    if word.endswith("*"):
        stem = _folded_piece(word[:-1], term)
        if "*" in stem or len(stem) < MIN_PREFIX:
            raise TermSyntaxError(f"a prefix needs at least {MIN_PREFIX} letters before '*'")
        return WordPattern(frozenset(), (stem,))
    if any(c in word for c in "{}+*"):
        raise TermSyntaxError(f"cannot read {word!r} (use word, stem*, stem+class or stem{{a,b}})")
    folded = _folded_piece(word, term)
    if not folded:
        raise TermSyntaxError("empty word")
    return WordPattern(frozenset({folded}))


def parse_term(term: str, endings: Mapping[str, Sequence[str]]) -> list[tuple[WordPattern, ...]]:
    """The alternatives a term string stands for (a ZWNJ also allows a space in its place)."""
    if not term.strip():
        raise TermSyntaxError("empty term")
    variants = [term.replace("\u200c", "")]
    if "\u200c" in term:
        variants.append(term.replace("\u200c", " "))
    out = []
    for variant in variants:
        words = [w for w in _SPLIT_WORDS.split(variant.strip()) if w]
        if not words:
            raise TermSyntaxError("empty term")
        out.append(tuple(_word(w, endings, term) for w in words))
    return out


# --------------------------------------------------------------------------- documents


@dataclass(slots=True)
class Segment:
    """A title or one body sentence: its tokens (words and punctuation marks)."""

    tokens: list[str]
    paragraph: int  # -1 for the title
    sentence: int  # index among body sentences; -1 for the title

    @property
    def is_title(self) -> bool:
        return self.paragraph < 0


@dataclass
class Document:
    segments: list[Segment]

    @cached_property
    def vocabulary(self) -> set[str]:
        """The distinct tokens (without sentence boundary marks)."""
        vocab = {t for s in self.segments for t in s.tokens}
        vocab.discard(_BOUNDARY)
        return vocab

    def words(self) -> list[str]:
        return [t for s in self.segments for t in s.tokens if t[0].isalnum() or t[0] == "_"]


def _tokens(text: str) -> list[str]:
    """Words and single punctuation marks."""
    return _TOKEN.findall(text)


def _marked_body(text: str) -> str:
    """``text`` with sentence ends replaced by a boundary mark and common punctuation marks
    spaced out: ``str.split`` then yields the tokens ``\\w+|[^\\w\\s]`` would find, except
    where a rarer mark sticks to a word (see :func:`_sentence_tokens`)."""
    text = _SENTENCE_END.sub(_MARK, text)
    for mark, spaced in _COMMON_MARKS:
        if mark in text:
            text = text.replace(mark, spaced)
    return text


def _sentence_tokens(piece: str) -> list[str]:
    """The tokens of one marked sentence. Words are alphanumeric and common marks stand alone,
    so only a longer token that is not alphanumeric (a rarer mark or ``_`` inside it) sends the
    sentence through the token regex; both give the same tokens."""
    toks = piece.split()
    for tok in filterfalse(str.isalnum, toks):
        if len(tok) > 1:
            return _tokens(piece)
    return toks


def body_sentences(body: str) -> list[str]:
    """The body's sentences as written (not folded), numbered like :func:`tokenise` numbers them:
    an explanation's "sentence 3" is ``body_sentences(text)[2]``."""
    out = []
    for para in body.split("\n"):
        if not para or para.isspace():
            continue
        start = 0
        for m in _SENTENCE_END.finditer(para):
            if para[start : m.end()].strip():
                out.append(para[start : m.end()].strip())
            start = m.end()
        if para[start:].strip():
            out.append(para[start:].strip())
    return out


def tokenise(title: str, body: str) -> Document:
    """Fold and split into a title segment plus body sentences grouped into paragraphs.

    Sentence-final punctuation is dropped with the split; other marks stay as tokens, so a comma
    still separates "Iran, Russia" while a hyphen may join "Iran-Russia".

    The whole body is marked at once (:func:`_marked_body`); plain string splits then give
    paragraphs (newlines), sentences (boundary marks) and tokens (whitespace).
    """
    head = _tokens(fold(title))
    segments = [Segment(head, -1, -1)]
    sentence = 0
    p = 0
    for para in _marked_body(fold(body)).split("\n"):
        if not para or para.isspace():
            continue
        for piece in para.split(_BOUNDARY):
            toks = _sentence_tokens(piece)
            if toks:
                segments.append(Segment(toks, p, sentence))
                sentence += 1
        p += 1
    return Document(segments)


# --------------------------------------------------------------------------- index


class Hit(NamedTuple):
    term: int  # index into TermIndex.payloads
    segment: int
    position: int  # token index in the segment
    form: str  # the matched words, as written (folded)


# A hit as a plain tuple (term, segment, position, form): what :meth:`TermIndex.scan` returns.
RawHit = tuple[int, int, int, str]


@dataclass
class _Compiled:
    term: int
    rest: tuple[WordPattern, ...]


class _Entries(NamedTuple):
    """What one token can start."""

    singles: tuple[int, ...]  # single-word term ids
    phrases: tuple[_Compiled, ...]
    # What the phrases' second words can be (exact forms, prefixes): most occurrences of a
    # phrase's first word are not followed by any second word, and this tells at once.
    second_forms: frozenset[str]
    second_prefixes: tuple[str, ...]


_NOTHING = _Entries((), (), frozenset(), ())


class TermIndex:
    """Many terms, each with a payload, looked up together over a :class:`Document`."""

    def __init__(self, endings: Mapping[str, Sequence[str]]) -> None:
        self.endings = endings
        self.payloads: list[object] = []
        self._exact: dict[str, list[_Compiled]] = {}
        self._prefix: dict[str, list[tuple[str, _Compiled]]] = {}
        # Every token looked up so far; replaced (never emptied) when full, so that a scan running
        # in another thread keeps a consistent one.
        self._memo: dict[str, _Entries] = {}

    def add(self, term: str, payload: object) -> int:
        """Compile ``term``; returns the index of its payload."""
        tid = len(self.payloads)
        self.payloads.append(payload)
        self._memo = {}
        for alternative in parse_term(term, self.endings):
            first, rest = alternative[0], alternative[1:]
            entry = _Compiled(tid, rest)
            for form in first.forms:
                self._exact.setdefault(form, []).append(entry)
            for prefix in first.prefixes:
                self._prefix.setdefault(prefix[:MIN_PREFIX], []).append((prefix, entry))
        return tid

    def _lookup(self, token: str) -> _Entries:
        found = list(self._exact.get(token, ()))
        for prefix, entry in self._prefix.get(token[:MIN_PREFIX], ()):
            if token.startswith(prefix):
                found.append(entry)
        if not found:
            return _NOTHING
        phrases = tuple(e for e in found if e.rest)
        return _Entries(
            tuple(e.term for e in found if not e.rest),
            phrases,
            frozenset(f for e in phrases for f in e.rest[0].forms),
            tuple(f for e in phrases for f in e.rest[0].prefixes),
        )

    def entries(self, token: str) -> _Entries:
        """What ``token`` can start: single-word term ids and phrases (memoised: news
        vocabulary repeats, so most tokens are looked up once per process)."""
        found = self._memo.get(token)
        if found is None:
            found = self._memo[token] = self._lookup(token)
        return found

    def scan(self, doc: Document) -> list[RawHit]:
        """Hits as plain ``(term, segment, position, form)`` tuples, in document order (segment,
        then position; at one position single-word terms first, then phrases, each in the order
        they were added). Single-word terms are hit once per segment (first position); phrases
        everywhere."""
        memo = self._memo
        if len(memo) >= MEMO_SIZE:
            memo = self._memo = {}
        get = memo.get
        lookup = self._lookup
        nothing = _NOTHING
        separators = SEPARATORS
        hits: list[RawHit] = []
        append = hits.append
        for s, seg in enumerate(doc.segments):
            toks = seg.tokens
            seen: set[str] = set()
            n = len(toks)
            for i, tok in enumerate(toks):
                found = get(tok)
                if found is None:
                    found = memo[tok] = lookup(tok)
                if found is nothing:
                    continue
                singles, phrases, second_forms, second_prefixes = found
                if singles and tok not in seen:
                    seen.add(tok)
                    for term in singles:
                        append((term, s, i, tok))
                if not phrases:
                    continue
                j = i + 1
                if j < n and toks[j] in separators:
                    j += 1
                if j >= n:
                    continue
                following = toks[j]
                if following not in second_forms and not (
                    second_prefixes and following.startswith(second_prefixes)
                ):
                    continue
                for entry in phrases:
                    if (end := _follow(toks, i + 1, entry.rest)) is not None:
                        words = [t for t in toks[i:end] if t not in SEPARATORS]
                        append((entry.term, s, i, " ".join(words)))
        return hits

    def find(self, doc: Document) -> list[Hit]:
        """Hits of single-word terms once per segment (first position); phrases everywhere."""
        return [Hit(*h) for h in self.scan(doc)]


def _follow(toks: list[str], j: int, rest: tuple[WordPattern, ...]) -> int | None:
    """End index when the words in ``rest`` follow from ``j``; None otherwise."""
    n = len(toks)
    for pattern in rest:
        if j < n and toks[j] in SEPARATORS:
            j += 1
        if j >= n or not pattern.matches(toks[j]):
            return None
        j += 1
    return j
