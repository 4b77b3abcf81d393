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
   gets a small bonus so that it wins ties.

The function never raises: the worst case is a lossy decode with replacement characters.
"""

from __future__ import annotations

import codecs
import re

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)

FALLBACKS = ("utf-8", "windows-1251", "koi8-r", "windows-1252", "windows-1256")
MOSTLY_UTF8 = 3  # valid multi-byte characters per invalid sequence, at least

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


def _score(text: str) -> float:
    """Higher is more like real text in one script."""
    if not text:
        return 0.0
    score = 0.0
    letters = 0
    cyr = arab = latin = 0
    bad = 0
    prev = ""  # script of the previous character when it was a letter
    for ch in text:
        o = ord(ch)
        if ch.isalpha():
            letters += 1
            script = "c" if 0x0400 <= o <= 0x04FF else "l" if o < 0x250 else "o"
            if prev and script != prev:
                score -= 3.0  # scripts mixed inside one word: a wrong code page
            prev = script
            if 0x0400 <= o <= 0x04FF:
                cyr += 1
                score += _RU_FREQ.get(ch, 0) / 40.0
                if ch.isupper():
                    score -= 0.6
            elif 0x0600 <= o <= 0x06FF or 0xFB50 <= o <= 0xFEFF:
                arab += 1
                score += 1.5 if ch in _FA_COMMON else 0.2
            elif o < 0x250:
                latin += 1
                score += 0.5 if o < 0x80 else -0.3
            else:
                score -= 1.0
            continue
        prev = ""
        if 0x80 <= o <= 0x9F or ch == "\ufffd" or (o < 0x20 and ch not in "\r\n\t"):
            bad += 1
        elif not (ch.isspace() or ch.isdigit() or ch.isascii()) and ch not in _OK_SYMBOLS:
            score -= 0.7  # typographic punctuation is fine, odd symbols are suspicious
    non_latin = max(cyr, arab)
    mixed = min(cyr, arab)
    score -= 3.0 * mixed + 5.0 * bad
    if letters:
        score += 2.0 * non_latin / letters
    return score


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
    for codec in candidates:
        if codec in ("utf-8", "ascii") or not _ascii_compatible(codec):
            continue
        try:
            decoded = sample.decode(codec)
        except UnicodeDecodeError:
            decoded = sample.decode(codec, "replace")
        score = _score(decoded) * (1.02 if codec in declared else 1.0)
        if best is None or score > best[0]:
            best = (score, codec)
    codec = best[1] if best else "windows-1252"
    return body.decode(codec, "replace"), codec


def mostly_utf8(body: bytes) -> str | None:
    """``body`` decoded as UTF-8 with replacement characters when it is mostly valid UTF-8
    (see the module docstring), else None."""
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
