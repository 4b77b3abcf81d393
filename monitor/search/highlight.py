"""Mark query terms and matched evidence in scraped text, escaping everything else.

Words are compared after :func:`monitor.textnorm.fold`, so a Persian term typed with Persian
letters marks the same word written with Arabic yeh/kaf or with a ZWNJ inside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from monitor.query import Node, Term, positive_terms
from monitor.search.stem import expand_word
from monitor.textnorm import fold, tokens

# a word, including joiners, tatweel and harakat inside it (fold removes them)
_WORD = re.compile(r"[\w\u200c\u200d\u0640\u064b-\u065f\u0670]+")


@dataclass(frozen=True)
class Highlighter:
    """Words to mark: exact folded words and folded prefixes."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]

    @classmethod
    def build(cls, node: Node | None = None, extra: Iterable[str] = ()) -> Highlighter:
        exact: set[str] = set()
        prefixes: set[str] = set()
        if node is not None:
            for term in positive_terms(node):
                words = tokens(term.text) if isinstance(term, Term) else list(term.words)
                for i, word in enumerate(words):
                    if isinstance(term, Term) and term.prefix and i == len(words) - 1:
                        prefixes.add(word)
                        continue
                    form, is_prefix = expand_word(word)
                    (prefixes if is_prefix else exact).add(form)
        for phrase in extra:
            exact.update(tokens(phrase))
        return cls(frozenset(exact), tuple(sorted(prefixes)))

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)

    def hits(self, word: str) -> bool:
        folded = fold(word).replace("\u200c", "")
        return folded in self.exact or folded.startswith(self.prefixes)

    def mark(self, text: str) -> Markup:
        """``text`` escaped, with matching words wrapped in ``<mark>``."""
        if not self:
            return escape(text)
        out: list[str] = []
        pos = 0
        for m in _WORD.finditer(text):
            if self.hits(m.group()):
                out.append(str(escape(text[pos : m.start()])))
                out.append(f"<mark>{escape(m.group())}</mark>")
                pos = m.end()
        out.append(str(escape(text[pos:])))
        return Markup("".join(out))  # noqa: S704 - every piece above is escaped

    def snippet(self, text: str, *, width: int = 280) -> Markup:
        """A short excerpt around the first matching word (the start of the text otherwise)."""
        start = 0
        if self:
            for m in _WORD.finditer(text):
                if self.hits(m.group()):
                    start = max(0, m.start() - width // 3)
                    break
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < start + 30 else start
        piece = text[start : start + width]
        prefix = "…" if start else ""
        suffix = "…" if start + width < len(text) else ""
        return escape(prefix) + self.mark(piece) + escape(suffix)


def explanation_terms(explanation: Any, *, limit: int = 100) -> list[str]:
    """Short strings recorded in a relevance explanation (matched terms, evidence), for marking."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if len(found) >= limit:
            return
        if isinstance(value, str):
            if 2 <= len(value) <= 80:
                found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(explanation)
    return found
