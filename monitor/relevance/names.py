"""Names across languages: a search for a key figure or entity finds it in every language.

The topic file names each key figure and entity in English, Russian and Persian (``Bushehr``,
``бушер+ru_noun``, ``بوشهر``). A query word or phrase that one of those terms matches in full is
widened to ``(what was typed OR every other form of the name)``, so "Bushehr" also finds the
Russian and Persian reports. The expansion is reported (:class:`NameMatch`) so that a page can
show it and offer to search only what was typed.

Forms become query terms: a term with an ending class (``бушер+ru_noun``) becomes the common
prefix of its forms (``бушер*``); inline endings likewise; a multi-word term a phrase.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.query import And, Field, Node, Not, Or, Phrase, Term
from monitor.relevance.terms import TermIndex, TermSyntaxError, WordPattern, parse_term, tokenise
from monitor.relevance.topic import Topic

MIN_PREFIX = 3


@dataclass(frozen=True)
class NameMatch:
    """A key figure or entity named in a query, and the forms added for it."""

    kind: str  # figure | entity
    name: str
    typed: str  # the query words that named it
    forms: tuple[str, ...]  # the added forms, written as query text (бушер*, "rasht to astara")


@dataclass(frozen=True)
class Expansion:
    node: Node  # the query with every named figure or entity widened
    names: tuple[NameMatch, ...]


@dataclass(frozen=True)
class _Name:
    kind: str
    name: str
    forms: tuple[tuple[Node, str], ...]  # (query node, as text) per term of the name


def _word_node(pattern: WordPattern) -> Term | Or:
    if pattern.prefixes and not pattern.forms and len(pattern.prefixes) == 1:
        return Term(pattern.prefixes[0], prefix=True)
    forms = sorted(pattern.forms)
    if len(forms) == 1 and not pattern.prefixes:
        return Term(forms[0])
    stem = _common_prefix([*forms, *pattern.prefixes])
    if len(stem) >= MIN_PREFIX:
        return Term(stem, prefix=True)
    return Or(tuple([Term(f) for f in forms] + [Term(p, prefix=True) for p in pattern.prefixes]))


def _common_prefix(words: Sequence[str]) -> str:
    first, last = min(words), max(words)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def _as_text(node: Node) -> str:
    if isinstance(node, Term):
        return node.text + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words) + '"'
    if isinstance(node, Or):
        return "(" + " OR ".join(_as_text(c) for c in node.children) + ")"
    if isinstance(node, And):
        return "(" + " ".join(_as_text(c) for c in node.children) + ")"
    return ""


def term_nodes(term: str, endings: Mapping[str, Sequence[str]]) -> list[Node]:
    """A topic term as query nodes, one per alternative (a ZWNJ term has two)."""
    out: list[Node] = []
    for alternative in parse_term(term, endings):
        words = [_word_node(p) for p in alternative]
        if len(words) == 1:
            out.append(words[0])
        elif all(isinstance(w, Term) and not w.prefix for w in words):
            out.append(Phrase(tuple(w.text for w in words if isinstance(w, Term))))
        else:
            out.append(And(tuple(words)))
    return out


class NameTable:
    """The topic's key figures and entities, looked up by the words of a query."""

    def __init__(
        self,
        names: Iterable[tuple[str, str, Mapping[str, Sequence[str]]]],
        endings: Mapping[str, Sequence[str]],
    ) -> None:
        self.index = TermIndex(endings)
        self.names: list[_Name] = []
        for kind, name, terms in names:
            forms: list[tuple[Node, str]] = []
            ref = len(self.names)
            for lang_terms in terms.values():
                for term in lang_terms:
                    try:
                        nodes = term_nodes(term, endings)
                        self.index.add(term, ref)
                    except TermSyntaxError:  # the topic loader reports these
                        continue
                    forms.extend((n, _as_text(n)) for n in nodes)
            self.names.append(_Name(kind, name, tuple(dict.fromkeys(forms))))

    @classmethod
    def from_topic(cls, topic: Topic) -> NameTable:
        entries: list[tuple[str, str, Mapping[str, Sequence[str]]]] = [
            ("figure", f.name, f.terms) for side in topic.sides.values() for f in side.figures
        ]
        entries += [("entity", e.name, e.terms) for e in topic.entities]
        return cls(entries, topic.endings)

    def lookup(self, words: Sequence[str]) -> list[_Name]:
        """The names one of whose terms matches exactly these (folded) words."""
        if not words:
            return []
        doc = tokenise(" ".join(words), "")
        n = len(doc.segments[0].tokens)
        found: dict[int, _Name] = {}
        for hit in self.index.find(doc):
            if hit.segment == 0 and hit.position == 0 and len(hit.form.split()) == n:
                ref = self.index.payloads[hit.term]
                assert isinstance(ref, int)
                found.setdefault(ref, self.names[ref])
        return list(found.values())

    def expand(self, node: Node) -> Expansion:
        """``node`` with every key figure or entity it names widened to all the name's forms."""
        found: dict[tuple[str, str], NameMatch] = {}
        return Expansion(self._expand(node, found), tuple(found.values()))

    def _widen(
        self, typed: Node, words: Sequence[str], found: dict[tuple[str, str], NameMatch]
    ) -> Node | None:
        names = self.lookup(words)
        if not names:
            return None
        typed_text = _as_text(typed)
        added: list[Node] = []
        for name in names:
            forms = [(n, t) for n, t in name.forms if t != typed_text and n not in added]
            added.extend(n for n, _ in forms)
            key = (name.kind, name.name)
            if key not in found:
                found[key] = NameMatch(
                    name.kind, name.name, " ".join(words), tuple(t for _, t in forms)
                )
        return Or((typed, *added)) if added else None

    def _expand(self, node: Node, found: dict[tuple[str, str], NameMatch]) -> Node:
        if isinstance(node, Term):
            if node.prefix:
                return node
            return self._widen(node, [node.text], found) or node
        if isinstance(node, Phrase):
            return self._widen(node, list(node.words), found) or node
        if isinstance(node, Not):
            return Not(self._expand(node.child, found))
        if isinstance(node, Or):
            return Or(tuple(self._expand(c, found) for c in node.children))
        if isinstance(node, Field):
            return node
        return And(tuple(self._and_children(list(node.children), found)))

    def _and_children(
        self, children: list[Node], found: dict[tuple[str, str], NameMatch]
    ) -> list[Node]:
        """Runs of plain words next to each other ("vladimir putin") are looked up as a whole,
        longest first; what is left word by word."""
        out: list[Node] = []
        i = 0
        while i < len(children):
            run = 0
            while i + run < len(children) and _plain(children[i + run]):
                run += 1
            replaced = False
            for size in range(run, 1, -1):
                words = [c.text for c in children[i : i + size] if isinstance(c, Term)]
                widened = self._widen(Phrase(tuple(words)), words, found)
                if widened is not None:
                    out.append(widened)
                    i += size
                    replaced = True
                    break
            if not replaced:
                out.append(self._expand(children[i], found))
                i += 1
        return out


def _plain(node: Node) -> bool:
    return isinstance(node, Term) and not node.prefix
