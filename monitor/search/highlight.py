"""Mark query terms and matched evidence in scraped text, escaping everything else.

Words are compared after :func:`monitor.textnorm.fold`, so a Persian term typed with Persian
letters marks the same word written with Arabic yeh/kaf or with a ZWNJ inside.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from monitor.query import Node, Term, positive_terms
from monitor.search.stem import expand_word
from monitor.textnorm import fold, tokens

# a word, including joiners, tatweel and harakat inside it (fold removes them)
_WORD = re.compile(r"[\w\u200c\u200d\u0640\u064b-\u065f\u0670]+")


@lru_cache(maxsize=65_536)
def _folded(word: str) -> str:
    """A word as the index compares it (memoised: the same words recur on every page)."""
    return fold(word).replace("\u200c", "")


@dataclass(frozen=True)
class Highlighter:
    """Words to mark: exact folded words, folded prefixes, and multi-word phrases (marked only
    where the whole phrase occurs, so "Tehran and Moscow" does not mark every "and")."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...] = ()

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
        phrases: set[tuple[str, ...]] = set()
        for phrase in extra:
            seq = tuple(tokens(phrase))
            if len(seq) == 1:
                exact.add(seq[0])
            elif seq:
                phrases.add(seq)
        return cls(frozenset(exact), tuple(sorted(prefixes)), tuple(sorted(phrases)))

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes or self.phrases)

    def hits(self, word: str) -> bool:
        folded = _folded(word)
        return folded in self.exact or folded.startswith(self.prefixes)

    def _marked(self, words: list[re.Match[str]]) -> set[int]:
        folded = [_folded(m.group()) for m in words]
        marked = {i for i, w in enumerate(folded) if w in self.exact or w.startswith(self.prefixes)}
        for phrase in self.phrases:
            n = len(phrase)
            for i in range(len(folded) - n + 1):
                if tuple(folded[i : i + n]) == phrase:
                    marked.update(range(i, i + n))
        return marked

    def mark(self, text: str) -> Markup:
        """``text`` escaped, with matching words wrapped in ``<mark>``."""
        if not self:
            return escape(text)
        words = list(_WORD.finditer(text))
        marked = self._marked(words)
        out: list[str] = []
        pos = 0
        for i, m in enumerate(words):
            if i in marked:
                out.append(str(escape(text[pos : m.start()])))
                out.append(f"<mark>{escape(m.group())}</mark>")
                pos = m.end()
        out.append(str(escape(text[pos:])))
        return Markup("".join(out))  # noqa: S704 - every piece above is escaped

    def _first_hit(self, text: str) -> int | None:
        """Where the first matching word (or phrase) starts; reads the text only that far."""
        longest = max((len(p) for p in self.phrases), default=0)
        recent: deque[tuple[str, int]] = deque(maxlen=max(longest, 1))
        for m in _WORD.finditer(text):
            word = _folded(m.group())
            if word in self.exact or word.startswith(self.prefixes):
                return m.start()
            if longest:
                recent.append((word, m.start()))
                window = list(recent)
                for phrase in self.phrases:
                    n = len(phrase)
                    if len(window) >= n and tuple(w for w, _ in window[-n:]) == phrase:
                        return window[-n][1]
        return None

    def snippet(self, text: str, *, width: int = 280) -> Markup:
        """A short excerpt around the first matching word (the start of the text otherwise)."""
        start = 0
        first = self._first_hit(text) if self else None
        if first is not None:
            start = max(0, first - width // 3)
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < start + 30 else start
        piece = text[start : start + width]
        prefix = "…" if start else ""
        suffix = "…" if start + width < len(text) else ""
        return escape(prefix) + self.mark(piece) + escape(suffix)
