"""Text preparation for copy detection: boilerplate removal, shingles, numbers, title tokens.

Everything goes through :func:`monitor.textnorm.normalise` (NFKC, Persian yeh/kaf/ZWNJ/diacritics,
Russian ё→е, case folding), so English, Russian and Persian compare on equal terms.

Boilerplate never makes two items look alike: lines that are only an agency credit, a "Read more"
link, a subscription prompt or a copyright notice are dropped, and so are agency datelines at the
start of a text ("MOSCOW, June 3 (TASS) –", "МОСКВА, 3 июня. /ТАСС/.", "به گزارش ایرنا،"). The
agencies are configuration (``config/outlets.yaml``, :class:`monitor.identity.Outlets`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from monitor.identity import Outlets
from monitor.textnorm import fold, normalise


@functools.lru_cache(maxsize=8)
def _credit_patterns(agencies: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The boilerplate-line and dateline patterns for one agency list (compiled once per list)."""
    alt = "|".join(re.escape(a) for a in agencies) or r"(?!)"
    boilerplate_line = re.compile(
        r"^\W*(?:"
        r"(?:source|photo|image|video|credit|copyright|reporting by|editing by|writing by)\b.*"
        r"|(?:read more|read also|see also|also read|related|more on this|click here|share this"
        r"|follow us|subscribe|sign up|join our|newsletter|all rights reserved|advertisement)\b.*"
        r"|©.*"
        r"|(?:" + alt + r")\W*"
        r"|(?:источник|фото|видео|читайте также|подробнее|подписывайтесь|подпишитесь"
        r"|все права защищены|реклама)\b.*"
        r"|(?:منبع|عکس|ویدئو|بیشتر بخوانید|ادامه مطلب|بخوانید|عضو شوید|کانال|انتهای پیام"
        r"|کپی|تبلیغات)\b.*"
        r")\W*$",
    )
    dateline = re.compile(
        r"^(?:"
        r"[^\n()]{0,60}\(\s*(?:" + alt + r")\s*\)\s*[-–—:,.]*\s*"
        r"|[^\n/]{0,60}/\s*(?:" + alt + r")\s*/\s*\.?\s*"
        r"|به گزارش\s+[^،,\n]{0,60}[،,]\s*"
        r")"
    )
    return boilerplate_line, dateline


_STOPWORDS = frozenset(
    "a an the of in on at to for and or by with from as is are was were be has have had it its "
    "this that says said new after over about into amid says "
    "и в во на с со по к о об от до за из у для что как не а но же ли "
    "و در به از با را که این آن برای تا بر یا هم را های ها می است شد کرد".split()
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r",(?=\d{3}(?!\d))")
_YEAR = re.compile(r"^(?:19[5-9]\d|20\d\d|13[5-9]\d|14[0-2]\d)$")


def strip_boilerplate(text: str, outlets: Outlets) -> str:
    """Drop boilerplate lines and a leading agency dateline (``outlets.agencies``); keep
    everything else."""
    boilerplate_line, dateline = _credit_patterns(outlets.agencies)
    kept: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        folded = fold(line)
        if len(folded.split()) <= 16 and boilerplate_line.match(folded):
            continue
        kept.append(line)
    if kept:
        first = fold(kept[0])
        m = dateline.match(first)
        if m and m.end() < len(first):
            kept[0] = first[m.end() :]
    return "\n".join(kept)


def shingles(tokens: list[str], size: int = 3) -> frozenset[str]:
    """Distinct word ``size``-grams (joined with a space)."""
    if len(tokens) < size:
        return frozenset()
    count = len(tokens) - size + 1  # the i-th gram joins tokens[i], tokens[i + 1], …
    return frozenset(map(" ".join, zip(*(tokens[k : k + count] for k in range(size)), strict=True)))


def numbers(text: str) -> frozenset[str]:
    """Numbers that can tell two events apart: two digits or more, years excluded."""
    return folded_numbers(fold(text))


def folded_numbers(folded: str) -> frozenset[str]:
    """:func:`numbers` of a text already folded (:func:`monitor.textnorm.fold`)."""
    out = set()
    # the Arabic decimal and thousands separators read as "." and "," (str.translate is slow on
    # non-ASCII text; two replacements give the same)
    for raw in _NUMBER.findall(folded.replace("\u066b", ".").replace("\u066c", ",")):
        # "5,120" is a thousands separator; "1,3" (Russian) is a decimal comma
        value = _THOUSANDS.sub("", raw).replace(",", ".").rstrip(".")
        if len(value.replace(".", "")) >= 2 and not _YEAR.match(value):
            out.add(value)
    return frozenset(out)


def content_tokens(text: str, topic_words: frozenset[str] = frozenset()) -> frozenset[str]:
    """Normalised words without stopwords, one-letter tokens and ``topic_words`` (words found in
    nearly every item of the topic, such as its countries' names: they say nothing about which
    event an item reports), for title comparison."""
    return frozenset(
        t
        for t in normalise(text).split()
        if len(t) > 1 and t not in _STOPWORDS and t not in topic_words
    )


@dataclass(frozen=True, slots=True)
class PreparedText:
    body: str  # boilerplate removed, normalised
    tokens: tuple[str, ...]
    shingles: frozenset[str]
    numbers: frozenset[str]


def prepare_body(text: str, outlets: Outlets) -> PreparedText:
    cleaned = strip_boilerplate(text, outlets)
    body = normalise(cleaned)
    toks = body.split()
    return PreparedText(
        body=body, tokens=tuple(toks), shingles=shingles(toks), numbers=numbers(cleaned)
    )
