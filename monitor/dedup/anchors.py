"""Anchors: what tells one event from another across wording and scripts.

- :func:`stem` — a light stem of a normalised word (Russian endings, Persian suffixes, English
  plurals), so reworded copies and reports of one event share their content words;
- :func:`skeleton` — a name's consonant skeleton, the same for its Latin, Cyrillic and Persian
  spellings (``Zelensky`` / ``Зеленский`` / ``زلنسکی`` → ``zlnsk``): vowels, ``h``, ``y``, ``w``/``v``
  and the letters Persian uses as vowels are dropped, and letters that transliterations swap are
  one class (``k``/``q``/``g``/``gh``, ``t``/``d``, ``s``/``z`` stay apart);
- :func:`names` — the skeletons of an item's names: capitalised words in English and Russian;
  Persian has no capitals, so every word of a Persian item is a *possible* name, matched only
  against the other item's names;
- :func:`named_dates` — calendar dates named in the text (``17 December``, ``17 декабря``,
  ``۲۶ آذر`` in the Solar Hijri calendar, ``17 دسامبر``), as Gregorian ``MM-DD``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from itertools import repeat

from monitor.textnorm import fold

_RU_ENDINGS = tuple(
    sorted(
        (
            "иями ями ами ией иям ием иях ого его ому ему ыми ими ой ей ий ый им ым их ых ая яя ое ее "
            "ые ие "
            "ов ев ах ях ам ям ом ем ию ия ии ью ья ет ут ют ит ат ят а я о е ы и у ю ь й"
        ).split(),
        key=len,
        reverse=True,
    )
)
_FA_SUFFIXES = ("هایی", "های", "ها", "ترین", "یی", "ای")
STEM_LENGTH = 7  # longer words are cut: a suffix of a long word rarely tells events apart
_CYRILLIC = re.compile(r"[а-я]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")


def script_of(word: str) -> str:
    """``cyrillic``, ``arabic`` or ``latin`` (the script of the word's first letter)."""
    for ch in word:
        if "а" <= ch <= "я" or ch in "ёЁ" or "А" <= ch <= "Я":
            return "cyrillic"
        if "\u0600" <= ch <= "\u06ff":
            return "arabic"
        if ch.isalpha():
            return "latin"
    return "latin"


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light stem of a normalised (folded) word."""
    if _CYRILLIC.match(word):
        for ending in _RU_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                word = word[: -len(ending)]
                break
    elif _ARABIC.match(word):
        for suffix in _FA_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
    elif len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:STEM_LENGTH]


# --------------------------------------------------------------------------- names

_LATIN_DIGRAPHS = (
    ("sch", "S"),
    ("kh", ""),
    ("gh", "k"),
    ("sh", "S"),
    ("ch", "C"),
    ("zh", "Z"),
    ("dj", "j"),
    ("ts", "s"),
    ("ph", "f"),
    ("th", "t"),
)
_LATIN = {
    **dict.fromkeys("aeiouyhvw", ""),
    "b": "b",
    "p": "p",
    "t": "t",
    "d": "t",
    "s": "s",
    "c": "k",
    "z": "z",
    "x": "ks",
    "j": "j",
    "k": "k",
    "q": "k",
    "g": "k",
    "l": "l",
    "m": "m",
    "n": "n",
    "r": "r",
    "f": "",
}
_CYR = {
    **dict.fromkeys("аеёиоуыэюяйьъхв", ""),
    "б": "b",
    "п": "p",
    "т": "t",
    "д": "t",
    "с": "s",
    "ц": "s",
    "з": "z",
    "ж": "Z",
    "ш": "S",
    "щ": "S",
    "ч": "C",
    "к": "k",
    "г": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "р": "r",
    "ф": "",
}
_FA = {
    **dict.fromkeys("اآعءئؤویهحخ", ""),
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ط": "t",
    "د": "t",
    "ث": "s",
    "س": "s",
    "ص": "s",
    "ز": "z",
    "ذ": "z",
    "ض": "z",
    "ظ": "z",
    "ژ": "Z",
    "ش": "S",
    "چ": "C",
    "ج": "j",
    "ک": "k",
    "گ": "k",
    "ق": "k",
    "غ": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ر": "r",
    "ف": "",
}
MIN_SKELETON = 3  # shorter skeletons ("lr") say too little to link two items


def skeleton(word: str) -> str:
    """The consonant skeleton of a folded word in any of the three scripts ('' for digits)."""
    if not word or word[0].isdigit():
        return ""
    script = script_of(word)
    if script == "cyrillic":
        word = word.replace("дж", "j").replace("кс", "ks")
        out = [_CYR.get(ch, ch if ch in "jks" else "") for ch in word]
    elif script == "arabic":
        out = [_FA.get(ch, "") for ch in word]
    else:
        for digraph, repl in _LATIN_DIGRAPHS:
            word = word.replace(digraph, repl)
        out = [_LATIN.get(ch, ch if ch in "SCZ" else "") for ch in word]
    skel = "".join(out)
    # a doubled letter is written once in the other scripts (Гутерриш, Ghalibaf)
    return re.sub(r"(.)\1+", r"\1", skel)


_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
_NAME_STOP = frozenset(
    "the a an in on at of and or but for with by from to as is was this that these those it its "
    "he she they we his her their our after before over under while when where what who why how "
    "if than then there here said says will would could should may also new first last "
    "monday tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december "
    "в во на с со по к о об от до за из у для что как не а но же ли и или это этот эта эти "
    "он она они его ее их мы по при после перед между также однако".split()
)


def _ru_name_stem(word: str) -> str:
    for ending in _RU_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def names(text: str, language: str | None) -> frozenset[str]:
    """Skeletons (at least :data:`MIN_SKELETON` letters) of the names an item uses.

    English and Russian: capitalised words (Russian case endings stripped first). Persian: every
    word, since the script has no capitals; a Persian "name" only counts when it meets a name of
    the other item."""
    out = set(map(_name_key, _WORD.findall(text), repeat(language == "fa")))
    out.discard("")
    return frozenset(out)


@lru_cache(maxsize=200_000)
def _name_key(raw: str, persian: bool) -> str:
    """The skeleton of one word if it may be a name ('' if not); compound words by their longest
    part ("Iranian-designed" → "Iranian")."""
    best = ""
    for part in re.split(r"[-'’]", raw):
        if len(part) < 3 or (not persian and not part[0].isupper()):
            continue
        word = fold(part)
        if word in _NAME_STOP:
            continue
        if script_of(word) == "cyrillic":
            word = _ru_name_stem(word)
        skel = skeleton(word)
        if len(skel) >= MIN_SKELETON and len(skel) > len(best):
            best = skel
    return best


def shared_names(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    return a & b


# --------------------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {}
for _number, _forms in enumerate(
    (
        "january jan январ ژانویه",
        "february feb феврал فوریه",
        "march mar март مارس",
        "april apr апрел آوریل",
        "may май мая مه",
        "june jun июн ژوئن",
        "july jul июл ژوئیه",
        "august aug август اوت آگوست",
        "september sep sept сентябр سپتامبر",
        "october oct октябр اکتبر",
        "november nov ноябр نوامبر",
        "december dec декабр دسامبر",
    ),
    start=1,
):
    for _form in _forms.split():
        _MONTHS[fold(_form)] = _number
_JALALI_MONTHS = {
    fold(name): i
    for i, names_ in enumerate(
        (
            "فروردین",
            "اردیبهشت",
            "خرداد",
            "تیر تیرماه",
            "مرداد",
            "شهریور",
            "مهر مهرماه",
            "آبان",
            "آذر",
            "دی",
            "بهمن",
            "اسفند",
        ),
        start=1,
    )
    for name in names_.split()
}
_DAY_MONTH = re.compile(r"\b(\d{1,2})\s+([^\W\d_]{3,12})", re.UNICODE)
# "19 and 26 September", "19–26 сентября", "۱۹ و ۲۶ سپتامبر": the first days of a list
_DAY_LIST = re.compile(
    r"\b\d{1,2}((?:\s*(?:,|-|–|—|and|и|و)\s*\d{1,2})+\s+[^\W\d_]{3,12})", re.UNICODE
)
_MONTH_DAY = re.compile(r"\b([a-z]{3,9})\.?\s+(\d{1,2})\b")
_ANY_DIGIT = re.compile(r"\d")


def _month(word: str) -> int | None:
    if word in _MONTHS:
        return _MONTHS[word]
    for form, number in _MONTHS.items():
        if len(form) >= 5 and word.startswith(form):  # Russian cases: декабря, декабре
            return number
    return None


def jalali_to_gregorian(jy: int, jm: int, jd: int) -> date:
    """A Solar Hijri date as a Gregorian date (the arithmetic calendar, exact for 1300–1500)."""
    days = 365 * (jy - 1) + (jy - 1) // 33 * 8 + ((jy - 1) % 33 + 3) // 4
    days += (jm - 1) * 31 if jm <= 7 else 186 + (jm - 7) * 30
    days += jd - 1
    # 1 Farvardin 1 = 19 March 622 (proleptic Gregorian): ordinal 226895 + 1
    return date.fromordinal(226895 + days)


def named_dates(text: str, when: datetime | None) -> frozenset[str]:
    """Gregorian ``MM-DD`` of the dates named in a text; Solar Hijri ones need ``when`` (the
    item's time) for the year."""
    return folded_named_dates(fold(text), when)


def folded_named_dates(folded: str, when: datetime | None) -> frozenset[str]:
    """:func:`named_dates` of a text already folded (:func:`monitor.textnorm.fold`)."""
    out: set[str] = set()
    for m in _DAY_MONTH.finditer(folded):
        day, word = int(m.group(1)), m.group(2)
        if not 1 <= day <= 31:
            continue
        month = _month(word)
        if month is not None:
            out.add(f"{month:02d}-{day:02d}")
            continue
        jm = _JALALI_MONTHS.get(word)
        if jm is not None and when is not None:
            jy = when.year - 621 - (1 if (when.month, when.day) < (3, 21) else 0)
            try:
                g = jalali_to_gregorian(jy, jm, day)
            except ValueError:
                continue
            out.add(f"{g.month:02d}-{g.day:02d}")
    for m in _MONTH_DAY.finditer(folded):
        month = _month(m.group(1))
        day = int(m.group(2))
        if month is not None and 1 <= day <= 31:
            out.add(f"{month:02d}-{day:02d}")
    return frozenset(out)


def without_dates(text: str) -> str:
    """``text`` with its calendar dates (day and month name, in any order) removed, so a dateline's
    day ("MOSCOW, March 12") is not read as one of the report's figures."""
    return folded_without_dates(fold(text))


def folded_without_dates(folded: str) -> str:
    """:func:`without_dates` of a text already folded (:func:`monitor.textnorm.fold`)."""

    def drop(m: re.Match[str]) -> str:
        word = m.group(2) if m.group(1).isdigit() else m.group(1)
        return " " if _month(word) is not None or word in _JALALI_MONTHS else m.group(0)

    def drop_list(m: re.Match[str]) -> str:
        return " " + m.group(1).split()[-1] if _month(m.group(1).split()[-1]) else m.group(0)

    if not _ANY_DIGIT.search(folded):  # every date pattern below starts from a digit
        return folded
    while True:
        shorter = _DAY_LIST.sub(drop_list, folded)
        if shorter == folded:
            break
        folded = shorter
    folded = _DAY_MONTH.sub(drop, folded)
    return _MONTH_DAY.sub(drop, folded)
