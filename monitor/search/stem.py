"""Light query-term expansion for inflected languages.

Russian nouns and adjectives change their endings (Иран, Ирана, Ираном; Россия, России); Persian
attaches plural and possessive suffixes (ایران, ایرانی, قراردادها). Instead of a full stemmer the
search strips one common Russian ending from a query word and matches the remaining stem as a
prefix, and matches Persian words as prefixes. Short words stay exact: ``газ*`` would also match
``газета``. English words stay exact (``sanction*`` is there for users who want a prefix).
"""

from __future__ import annotations

import re

# longest first; noun, adjective and verb endings common in news text
_RU_ENDINGS = tuple(
    sorted(
        (
            "иями ями ами ией иям ием иях ого его ому ему ыми ими ой ей ий ый ая яя ое ее ые ие "
            "ов ев ах ях ам ям ом ем ию ия ии ью ья ет ут ют ит ат ят а я о е ы и у ю ь й"
        ).split(),
        key=len,
        reverse=True,
    )
)
_CYRILLIC = re.compile(r"^[а-я0-9-]+$")
_ARABIC_SCRIPT = re.compile(r"^[\u0600-\u06ff0-9]+$")
MIN_RU_STEM = 4
MIN_FA_PREFIX = 3


def russian_stem(word: str) -> str:
    """Strip one common ending, keeping at least :data:`MIN_RU_STEM` letters."""
    for ending in _RU_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_RU_STEM:
            return word[: -len(ending)]
    return word


def expand_word(word: str) -> tuple[str, bool]:
    """The form to search for a folded query ``word``, and whether it is matched as a prefix."""
    if _CYRILLIC.match(word) and len(word) >= MIN_RU_STEM:
        return russian_stem(word), True
    if _ARABIC_SCRIPT.match(word) and len(word) >= MIN_FA_PREFIX and not word.isdigit():
        return word, True
    return word, False
