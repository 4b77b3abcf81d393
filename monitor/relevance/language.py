"""Offline language detection for the languages a monitor meets: script first, then letters and
stopwords within the script. No model, no download.

- Cyrillic: Russian unless letters only other alphabets use say otherwise (Ukrainian і ї є ґ,
  Belarusian ў, Kazakh ә ғ қ ң ө ұ ү һ).
- Arabic script: Persian, Arabic and Urdu share most letters. Persian has پ چ ژ گ and the words
  است، این، را، که، می; Arabic has ة, the article ال on many words and في، من، على، التي; Urdu has
  ٹ ڈ ڑ ں ے. Persian written with Arabic yeh/kaf (ي ك) is still Persian: those letters alone decide
  nothing.
- Latin: English, French, German, Spanish by their commonest short words.

The declared language of a feed is only a hint: it decides when the text is too short to tell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORDS = re.compile(r"\w+")

_EN = frozenset(
    "the of and to in a is that for on with as was by at from it be are has have said will "
    "its which an were this after not but also".split()
)
_FR = frozenset("le la les des et est du une dans pour que qui sur au avec pas ce sont".split())
_DE = frozenset("der die das und ist nicht mit von den zu im auf dem sich des ein eine".split())
_ES = frozenset("el los las del y en que por con para una es se su al como".split())
_LATIN = {"en": _EN, "fr": _FR, "de": _DE, "es": _ES}

_FA_WORDS = frozenset(
    "است این را که می از با به برای های ها شد شده کرد کند خود آن نیز بود یک تا اند".split()
)
_AR_WORDS = frozenset("في من على إلى الى التي الذي عن مع هذا هذه ان أن كان قد".split())
_UR_WORDS = frozenset("کے کی ہے میں اور سے کو نے ہیں".split())

_FA_LETTERS = frozenset("پچژگ")
_UR_LETTERS = frozenset("ٹڈڑںےۓھ")
_AR_LETTERS = frozenset("ةى")
_UK = frozenset("іїєґ")
_KK = frozenset("әғқңөұүһ")


@dataclass(frozen=True)
class Detection:
    code: str  # ISO 639-1 code, or "und" when nothing can be said
    reason: str


# Runs of letters of each script: counting run lengths is much faster than one match per letter.
_CYRILLIC = re.compile("[\u0400-\u04ff]+")
_ARABIC = re.compile(
    "[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]+"
)
_LATIN_LETTERS = re.compile("[A-Za-z\u00c0-\u00ff\u0100-\u024f\u1e00-\u1eff]+")
# A word (a run of \w) starting with the Arabic article and longer than three letters: the article,
# no letter before it (checked behind, so that the search starts from the literal), two more.
_ARTICLE = re.compile(r"ال(?<!\wال)\w\w")


def _count(chars: frozenset[str], text: str) -> int:
    return sum(text.count(ch) for ch in chars)


def _count_words(stop: frozenset[str], words: list[str]) -> int:
    """Occurrences of stopwords, counted per distinct stopword present (enough to compare)."""
    return len(stop.intersection(words))


def _letters(runs: re.Pattern[str], text: str) -> int:
    return sum(map(len, runs.findall(text)))


def _script_counts(text: str) -> tuple[int, int, int]:
    return (
        _letters(_CYRILLIC, text),
        _letters(_ARABIC, text),
        _letters(_LATIN_LETTERS, text),
    )


def _arabic_script(text: str, words: list[str], declared: str | None) -> Detection:
    fa = _count(_FA_LETTERS, text) + 2 * _count_words(_FA_WORDS, words)
    ur = 2 * _count(_UR_LETTERS, text) + 2 * _count_words(_UR_WORDS, words)
    article = len(_ARTICLE.findall(text))
    ar = _count(_AR_LETTERS, text) + 2 * _count_words(_AR_WORDS, words) + article
    scores = {"fa": fa, "ar": ar, "ur": ur}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0 or sorted(scores.values())[-2] * 1.2 >= scores[best]:
        guess = declared if declared in scores else "fa"
        return Detection(guess, f"arabic script, undecided {scores}; declared={declared}")
    return Detection(best, f"arabic script, scores {scores}")


def _latin_script(words: list[str], declared: str | None) -> Detection:
    lowered = list(map(str.casefold, words))
    scores = {lang: _count_words(stop, lowered) for lang, stop in _LATIN.items()}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] < 2 or list(scores.values()).count(scores[best]) > 1:
        guess = declared if declared in _LATIN else "en"
        return Detection(guess, f"latin script, few stopwords {scores}; declared={declared}")
    return Detection(best, f"latin script, stopwords {scores}")


def detect_language(text: str, declared: str | None = None, *, sample: int = 1200) -> Detection:
    """The language of ``text`` (title plus body); ``declared`` breaks ties on short texts."""
    text = text[:sample]
    cyr, arab, latin = _script_counts(text[:500])
    total = cyr + arab + latin
    if total < 3:
        return Detection(declared or "und", f"too few letters; declared={declared}")
    if cyr >= arab and cyr >= latin:
        lowered = text.casefold()
        if _count(_UK, lowered) >= 2:
            return Detection("uk", "cyrillic with і/ї/є/ґ")
        if lowered.count("ў") >= 2:
            return Detection("be", "cyrillic with ў")
        if _count(_KK, lowered) >= 3:
            return Detection("kk", "cyrillic with Kazakh letters")
        return Detection("ru", f"cyrillic letters {cyr}/{total}")
    words = _WORDS.findall(text)
    if arab >= latin:
        return _arabic_script(text, words, declared)
    return _latin_script(words, declared)
