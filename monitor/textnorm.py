"""Text normalisation shared by relevance matching, dedup fingerprints and search.

The same function must be used on both sides of every comparison. What it does, in order:

1. Unicode NFKC (folds presentation forms such as Arabic ligatures and full-width Latin);
2. Persian: Arabic yeh (ي U+064A) and alef maksura (ى U+0649) → Persian yeh (ی U+06CC), Arabic kaf
   (ك U+0643) → Persian kaf (ک U+06A9), teh marbuta (ة) → heh (ه), hamza-carrying alefs (أ إ آ) → alef (ا),
   Arabic-Indic and Persian digits → ASCII digits; zero-width non-joiner (U+200C) → nothing
   (``می‌خواهد`` and ``میخواهد`` compare equal), and tatweel (ـ) and Arabic diacritics (harakat) removed;
3. Russian: ё → е;
4. case folding (``str.casefold``);
5. every run of characters that are neither letters nor digits becomes one space (``keep`` lets a
   caller keep some, e.g. hyphens for bilateral forms).
"""

from __future__ import annotations

import re
import unicodedata

_PERSIAN_MAP = str.maketrans(
    {
        "\u064a": "\u06cc",  # ARABIC YEH → FARSI YEH
        "\u0649": "\u06cc",  # ALEF MAKSURA → FARSI YEH
        "\u0643": "\u06a9",  # ARABIC KAF → KEHEH
        "\u0629": "\u0647",  # TEH MARBUTA → HEH
        "\u0623": "\u0627",  # ALEF WITH HAMZA ABOVE → ALEF
        "\u0625": "\u0627",  # ALEF WITH HAMZA BELOW → ALEF
        "\u0622": "\u0627",  # ALEF WITH MADDA → ALEF
        "\u0671": "\u0627",  # ALEF WASLA → ALEF
        "\u06c0": "\u0647",  # HEH WITH YEH ABOVE → HEH
        "\u0640": None,  # TATWEEL
        "\u200c": None,  # ZERO WIDTH NON-JOINER
        "\u200d": None,  # ZERO WIDTH JOINER
        "\u200e": None,  # LEFT-TO-RIGHT MARK
        "\u200f": None,  # RIGHT-TO-LEFT MARK
        "\u00ad": None,  # SOFT HYPHEN
        "ё": "е",
        "Ё": "Е",
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
    }
)
_DIACRITIC_RANGES = "\u064b-\u065f\u0670\u06d6-\u06ed"
_DIACRITICS = re.compile(f"[{_DIACRITIC_RANGES}]")
# str.translate is slow on non-ASCII text; one regex finds the few characters to replace or remove
# (the map's and the diacritics) instead. Nothing the map produces is a diacritic, so one pass gives
# what mapping and then removing diacritics would.
_FOLD_TABLE = {chr(k): (v if isinstance(v, str) else "") for k, v in _PERSIAN_MAP.items()}
_FOLD_TABLE.update({c: "" for c in map(chr, range(0x064B, 0x06EE)) if _DIACRITICS.match(c)})
_FOLD_CHARS = re.compile(
    "["
    + "".join(re.escape(c) for c in _FOLD_TABLE if not _DIACRITICS.match(c))
    + _DIACRITIC_RANGES
    + "]"
)


def _fold_char(match: re.Match[str]) -> str:
    return _FOLD_TABLE[match.group()]


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Steps 1–4: NFKC, Persian and Russian letter folding, case folding. Keeps punctuation."""
    text = unicodedata.normalize("NFKC", text)
    return _FOLD_CHARS.sub(_fold_char, text).casefold()


def normalise(text: str, *, keep: str = "") -> str:
    """Fold, then collapse every run of non-word characters (except those in ``keep``) to a space."""
    folded = fold(text)
    if keep:
        pattern = re.compile(r"[^\w" + re.escape(keep) + r"]+|_+", re.UNICODE)
        return pattern.sub(" ", folded).strip()
    return collapse(folded)


def collapse(folded: str) -> str:
    """Step 5 of a text folded already: ``normalise(text) == collapse(fold(text))``."""
    return _NON_WORD.sub(" ", folded).strip()


def tokens(text: str) -> list[str]:
    """Normalised word tokens (letters and digits)."""
    return normalise(text).split()
