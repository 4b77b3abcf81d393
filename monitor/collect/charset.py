"""Decoding feed and page bytes to text when the declared charset may be wrong or missing.

Order of evidence:

1. a byte-order mark (UTF-8, UTF-16) wins;
2. bytes that decode as strict UTF-8 *and* contain multi-byte sequences are UTF-8, whatever the
   declaration says (a random single-byte text is almost never valid UTF-8); so are bytes that
   are *mostly* valid UTF-8 — at least :data:`MOSTLY_UTF8` valid multi-byte characters per
   invalid sequence — decoded with a replacement character for each broken sequence (one bad
   byte in a UTF-8 feed must not garble every title; text in a single-byte code page is almost
   all invalid sequences);
3. otherwise every candidate — the HTTP ``charset``, the XML declaration, ``<meta charset>``, and
   the single-byte code pages used by the sites we follow (windows-1251, KOI8-R, windows-1256,
   windows-1252) — is decoded and scored by how much the result looks like running text in one
   script (letter-frequency model for Russian and Persian/Arabic, penalties for control
   characters, C1 codes, mixed case inside words and replacement characters). A declared charset
   gets a small bonus so that it wins ties. For a single-byte code page every byte is one
   character, so the score is a sum over byte values: it is computed from one count of the
   sample's bytes (shared by every candidate) and a table per code page
   (:class:`_ByteScorer`), instead of character by character.

The function never raises: the worst case is a lossy decode with replacement characters.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)

FALLBACKS = ("utf-8", "windows-1251", "koi8-r", "windows-1252", "windows-1256")
MOSTLY_UTF8 = 3  # valid multi-byte characters per invalid sequence, at least
_UTF8_LEADS = bytes(range(0xC2, 0xF5))
_UTF8_CONTINUATIONS = bytes(range(0x80, 0xC0))

# relative frequencies (per mille) of the commonest letters in Russian and Persian news prose
_RU_FREQ = dict(
    zip(
        "оеаинтсрвлкмдпуяызьбгчйхжшюцщэфъё",
        (
            110,
            85,
            80,
            73,
            67,
            63,
            55,
            47,
            45,
            44,
            35,
            32,
            30,
            28,
            26,
            20,
            19,
            17,
            17,
            16,
            17,
            14,
            12,
            10,
            9,
            7,
            6,
            5,
            4,
            3,
            3,
            1,
            1,
        ),
        strict=True,
    )
)
_OK_SYMBOLS = frozenset("«»—–…“”‘’„№·•،؛؟٪\u200c\u200d\u200e\u200f\xa0")
_FA_COMMON = set("اینرهدمتوبکسلزشگفخقجپحطچعغصضظثذژآئ")


def normalise_charset(name: str | None) -> str | None:
    """A Python codec name for ``name``, or None when unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'").lower()).name
    except LookupError:
        return None


def declared_charsets(body: bytes, content_type: str = "") -> list[str]:
    """Charsets declared by the HTTP header, the XML declaration and an HTML meta tag, in order."""
    found: list[str] = []
    if m := _HEADER_CHARSET.search(content_type or ""):
        found.append(m.group(1))
    head = body[:2048]
    if m2 := _XML_DECL.search(head):
        found.append(m2.group(1).decode("ascii"))
    if m3 := _META_CHARSET.search(body[:8192]):
        found.append(m3.group(1).decode("ascii", "replace"))
    out: list[str] = []
    for name in found:
        codec = normalise_charset(name)
        if codec and codec not in out:
            out.append(codec)
    return out


# per-character score terms, in units of 1/40 (every weight below is a multiple of it)
_UNIT = 40
_MIXED_WORD = 120  # scripts mixed inside one word: a wrong code page


def _char_terms(ch: str) -> tuple[str, int, int, int, int, int]:
    """What one character adds to :func:`_score`: ``(script, points, letter, cyrillic, arabic,
    bad)``, ``script`` "" for a non-letter, ``points`` in units of 1/40."""
    o = ord(ch)
    if ch.isalpha():
        script = "c" if 0x0400 <= o <= 0x04FF else "l" if o < 0x250 else "o"
        if 0x0400 <= o <= 0x04FF:
            return script, _RU_FREQ.get(ch, 0) - (24 if ch.isupper() else 0), 1, 1, 0, 0
        if 0x0600 <= o <= 0x06FF or 0xFB50 <= o <= 0xFEFF:
            return script, 60 if ch in _FA_COMMON else 8, 1, 0, 1, 0
        if o < 0x250:
            return script, 20 if o < 0x80 else -12, 1, 0, 0, 0
        return script, -40, 1, 0, 0, 0
    if 0x80 <= o <= 0x9F or ch == "\ufffd" or (o < 0x20 and ch not in "\r\n\t"):
        return "", 0, 0, 0, 0, 1
    if not (ch.isspace() or ch.isdigit() or ch.isascii()) and ch not in _OK_SYMBOLS:
        return "", -28, 0, 0, 0, 0  # typographic punctuation is fine, odd symbols are suspicious
    return "", 0, 0, 0, 0, 0


def _combine(points: int, letters: int, cyr: int, arab: int, bad: int) -> float:
    non_latin = max(cyr, arab)
    mixed = min(cyr, arab)
    score = (points - _MIXED_WORD * mixed) / _UNIT - 5.0 * bad
    if letters:
        score += 2.0 * non_latin / letters
    return score


def _score(text: str) -> float:
    """Higher is more like real text in one script."""
    if not text:
        return 0.0
    points = letters = cyr = arab = bad = 0
    prev = ""  # script of the previous character when it was a letter
    for ch in text:
        script, p, letter, c, a, b = _char_terms(ch)
        if script:
            if prev and script != prev:
                points -= _MIXED_WORD
            prev = script
        else:
            prev = ""
        points += p
        letters += letter
        cyr += c
        arab += a
        bad += b
    return _combine(points, letters, cyr, arab, bad)


_SCRIPT_BIT = {"": 0, "c": 1, "l": 2, "o": 4}
_TWO_SCRIPTS = (3, 5, 6)


@dataclass(frozen=True)
class _ByteScorer:
    """:func:`_score` of a single-byte code page's decoding, from the counts of byte values:
    the terms of each byte's character, and the letters of different scripts side by side
    (counted on the bytes mapped to their script's bit)."""

    terms: tuple[tuple[int, int, int, int, int], ...]  # per byte value
    scripts: bytes  # translate table: byte → its character's script bit (0 for a non-letter)

    def score(self, sample: bytes, counts: Counter[int]) -> float:
        if not sample:
            return 0.0
        points = letters = cyr = arab = bad = 0
        for byte, n in counts.items():
            p, letter, c, a, b = self.terms[byte]
            points += n * p
            letters += n * letter
            cyr += n * c
            arab += n * a
            bad += n * b
        # each letter's script as one bit: two neighbours OR-ed together show two bits exactly
        # when both are letters of different scripts
        scripts = sample.translate(self.scripts)
        size = len(scripts) - 1
        pairs = int.from_bytes(scripts[:-1], "big") | int.from_bytes(scripts[1:], "big")
        neighbours = pairs.to_bytes(size, "big")
        mixed_words = sum(neighbours.count(two_bits) for two_bits in _TWO_SCRIPTS)
        return _combine(points - _MIXED_WORD * mixed_words, letters, cyr, arab, bad)


@cache
def _byte_scorer(codec: str) -> _ByteScorer | None:
    """The scorer for ``codec`` when it maps every byte to one character, else None."""
    try:
        chars = bytes(range(256)).decode(codec, "replace")
    except LookupError:
        return None
    if len(chars) != 256:
        return None
    terms = [_char_terms(ch) for ch in chars]
    return _ByteScorer(
        terms=tuple(t[1:] for t in terms),
        scripts=bytes(_SCRIPT_BIT[t[0]] for t in terms),
    )


def _score_decoded(sample: bytes, codec: str, counts: Counter[int]) -> float:
    """:func:`_score` of ``sample`` decoded with ``codec`` (undecodable bytes replaced)."""
    scorer = _byte_scorer(codec)
    if scorer is not None:
        return scorer.score(sample, counts)
    try:
        decoded = sample.decode(codec)
    except UnicodeDecodeError:
        decoded = sample.decode(codec, "replace")
    return _score(decoded)


def decode_bytes(
    body: bytes, content_type: str = "", *, declared: list[str] | None = None
) -> tuple[str, str]:
    """Decode ``body``; returns ``(text, codec_name)``. See the module docstring for the rules."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", "replace"), "utf-16"
    declared = declared_charsets(body, content_type) if declared is None else declared
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        mostly = mostly_utf8(body)
        if mostly is not None:
            return mostly, "utf-8"
    else:
        if not body.isascii() or not declared or declared[0] in ("utf-8", "ascii"):
            return text, "utf-8"
        return text, declared[0] if _ascii_compatible(declared[0]) else "utf-8"
    sample = body[:65536]
    best: tuple[float, str] | None = None
    candidates = [c for c in declared if c not in ("utf-8", "ascii")]
    candidates += [
        c for c in (normalise_charset(f) for f in FALLBACKS) if c and c not in candidates
    ]
    counts = Counter(sample)
    for codec in candidates:
        if codec in ("utf-8", "ascii") or not _ascii_compatible(codec):
            continue
        score = _score_decoded(sample, codec, counts) * (1.02 if codec in declared else 1.0)
        if best is None or score > best[0]:
            best = (score, codec)
    codec = best[1] if best else "windows-1252"
    return body.decode(codec, "replace"), codec


def mostly_utf8(body: bytes) -> str | None:
    """``body`` decoded as UTF-8 with replacement characters when it is mostly valid UTF-8
    (see the module docstring), else None."""
    # Quick no: a valid multi-byte character has a lead byte and at least one continuation
    # byte, and a lead byte outside one is an invalid sequence of its own. With fewer than
    # 3/4 as many continuation bytes as lead bytes, fewer than MOSTLY_UTF8 (3) valid characters
    # per invalid sequence are possible (text in a single-byte code page is mostly lead bytes).
    leads = len(body) - len(body.translate(None, _UTF8_LEADS))
    continuations = len(body) - len(body.translate(None, _UTF8_CONTINUATIONS))
    if (MOSTLY_UTF8 + 1) * continuations < MOSTLY_UTF8 * leads:
        return None
    text = body.decode("utf-8", "replace")
    broken = text.count("\ufffd") - body.count("\ufffd".encode())  # one per invalid sequence
    if broken <= 0:
        return None
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    valid = non_ascii - text.count("\ufffd")
    return text if valid >= MOSTLY_UTF8 * broken else None


def _ascii_compatible(codec: str) -> bool:
    try:
        return b"<?xml".decode(codec) == "<?xml"
    except (UnicodeDecodeError, LookupError):
        return False
