"""Compile a parsed query (:mod:`monitor.query`) to SQLite FTS5 and PostgreSQL tsquery syntax.

Both engines get the same meaning: words (folded; Russian and Persian words expanded by
:func:`monitor.search.stem.expand_word`), phrases, prefixes, AND, OR and NOT, and ``title:`` (a
column filter in FTS5, weight ``A`` in PostgreSQL). FTS5 has no unary NOT, so a negation is
compiled as "positive part NOT (negated parts)"; the parser already refuses queries without a
positive term.

The other fields (``source:``, ``lang:``, ``theme:``, ``entity:``, ``figure:``) are not in the text
index: :func:`split_query` separates them, and the storage layer turns them into SQL conditions.
"""

from __future__ import annotations

from monitor.errors import QuerySyntaxError
from monitor.query import META_FIELDS, And, Field, Node, Not, Or, Phrase, Term, is_positive
from monitor.search.stem import expand_word
from monitor.textnorm import tokens


def _words(node: Term | Phrase, expand: bool) -> list[tuple[str, bool]]:
    """(word, prefix) pairs of a term or phrase, in order; empty when nothing is searchable."""
    if isinstance(node, Term):
        toks = tokens(node.text)
        out = [(t, False) for t in toks]
        if out and node.prefix:
            out[-1] = (out[-1][0], True)
    else:
        out = [(t, False) for w in node.words for t in tokens(w)]
    if expand:
        out = [(w, True) if p else expand_word(w) for w, p in out]
    return out


def _split_and(node: And) -> tuple[list[Node], list[Node]]:
    positives: list[Node] = []
    negatives: list[Node] = []
    for child in node.children:
        if isinstance(child, Not):
            inner = child.child
            if isinstance(inner, Not):  # double negation
                positives.append(inner.child)
            else:
                negatives.append(inner)
        else:
            positives.append(child)
    return positives, negatives


def has_meta(node: Node) -> bool:
    """Whether ``node`` names a field outside the text index (source, lang, tags)."""
    if isinstance(node, Field):
        return node.name in META_FIELDS
    if isinstance(node, Not):
        return has_meta(node.child)
    if isinstance(node, And | Or):
        return any(has_meta(c) for c in node.children)
    return False


def split_query(node: Node | None) -> tuple[Node | None, tuple[Node, ...]]:
    """``(text part, other conditions)``: the top-level AND's children that only use the text
    index and hold a positive term form the text part (one index query); every other child (a
    field outside the index, or a negation alone) is a condition of its own, ANDed."""
    if node is None:
        return None, ()
    children = node.children if isinstance(node, And) else (node,)
    text = [c for c in children if not has_meta(c)]
    if not any(is_positive(c) for c in text):
        return None, children
    rest = tuple(c for c in children if has_meta(c))
    return (text[0] if len(text) == 1 else And(tuple(text))), rest


def _no_positive() -> QuerySyntaxError:
    return QuerySyntaxError(
        "needs at least one positive term (a word or phrase that must appear)", 0
    )


# --------------------------------------------------------------------------- SQLite FTS5


def _fts_word(word: str, prefix: bool) -> str:
    quoted = '"' + word.replace('"', '""') + '"'
    return quoted + "*" if prefix else quoted


def _outside_index(node: Field) -> QuerySyntaxError:
    return QuerySyntaxError(f"{node.name}: cannot be searched in the text index", 0)


def _fts(node: Node, expand: bool) -> str | None:
    if isinstance(node, Field):
        if node.inner is None:
            raise _outside_index(node)
        inner = _fts(node.inner, expand)
        return f"title : ({inner})" if inner else None
    if isinstance(node, Term | Phrase):
        words = _words(node, expand)
        if not words:
            return None
        return " + ".join(_fts_word(w, p) for w, p in words)
    if isinstance(node, Not):
        if isinstance(node.child, Not):
            return _fts(node.child.child, expand)
        raise _no_positive()
    if isinstance(node, Or):
        parts = [p for p in (_fts(c, expand) for c in node.children) if p]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
    positives, negatives = _split_and(node)
    pos = [p for p in (_fts(c, expand) for c in positives) if p]
    if not pos:
        raise _no_positive()
    out = pos[0] if len(pos) == 1 else "(" + " AND ".join(pos) + ")"
    neg = [n for n in (_fts(c, expand) for c in negatives) if n]
    if neg:
        out = f"({out} NOT ({' OR '.join(neg)}))"
    return out


def to_fts5(node: Node, *, expand: bool = True) -> str:
    """An FTS5 MATCH expression for ``node``; raises QuerySyntaxError when nothing is searchable."""
    compiled = _fts(node, expand)
    if not compiled:
        raise QuerySyntaxError("nothing to search for", 0)
    return compiled


# --------------------------------------------------------------------------- PostgreSQL


def _ts_word(word: str, prefix: bool, weight: str = "") -> str:
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    if prefix or weight:
        return quoted + ":" + ("*" if prefix else "") + weight
    return quoted


def _ts(node: Node, expand: bool, weight: str = "") -> str | None:
    if isinstance(node, Field):
        if node.inner is None:
            raise _outside_index(node)
        return _ts(node.inner, expand, "A")
    if isinstance(node, Term | Phrase):
        words = _words(node, expand)
        if not words:
            return None
        joined = " <-> ".join(_ts_word(w, p, weight) for w, p in words)
        return joined if len(words) == 1 else "(" + joined + ")"
    if isinstance(node, Not):
        if isinstance(node.child, Not):
            return _ts(node.child.child, expand)
        raise _no_positive()
    if isinstance(node, Or):
        parts = [p for p in (_ts(c, expand) for c in node.children) if p]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"
    positives, negatives = _split_and(node)
    pos = [p for p in (_ts(c, expand) for c in positives) if p]
    if not pos:
        raise _no_positive()
    neg = [n for n in (_ts(c, expand) for c in negatives) if n]
    parts = pos + [f"!{n}" for n in neg]
    return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"


def to_tsquery(node: Node, *, expand: bool = True) -> str:
    """Text for ``to_tsquery('simple', …)``; raises QuerySyntaxError when nothing is searchable."""
    compiled = _ts(node, expand)
    if not compiled:
        raise QuerySyntaxError("nothing to search for", 0)
    return compiled
