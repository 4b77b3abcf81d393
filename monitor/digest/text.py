"""Turning scraped text into safe display values: one-line titles, short snippets, safe links.

Escaping happens in the templates (autoescape is on); this module makes the *content* tidy and
removes what must never reach a mail header or a layout: CR/LF and other control characters,
bidi overrides, and non-HTTP links.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

# bidi embedding/override/isolate controls can reorder what a reader sees; drop them
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_KEEP_FORMAT = {"\u200c", "\u200d"}  # ZWNJ/ZWJ are part of Persian spelling
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^<>]{0,400}>")
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+(?=\S)")


def clean_line(text: str | None, *, max_chars: int = 300) -> str:
    """One line of display text: no control characters, whitespace collapsed, length capped."""
    if not text:
        return ""
    text = text.translate(_BIDI_CONTROLS)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif cat == "Cf" and ch not in _KEEP_FORMAT:
            continue
        else:
            out.append(ch)
    line = _SPACE.sub(" ", "".join(out)).strip()
    return truncate(line, max_chars)


def truncate(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if " " in cut[max_chars // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def snippet(text: str | None, *, sentences: int = 3, max_chars: int = 420) -> str:
    """The first ``sentences`` sentences of ``text`` (tags dropped), at most ``max_chars`` long."""
    if not text:
        return ""
    plain = clean_line(_TAG.sub(" ", text), max_chars=max_chars * 4)
    parts = _SENTENCE_END.split(plain)
    return truncate(" ".join(parts[:sentences]), max_chars)


_HOST = re.compile(r"^[^\s<>\"'`\\/@:]+$")
_URL_UNSAFE = re.compile(r"[<>\"'`\\ ]")


def safe_url(url: str | None) -> str:
    """``url`` when it is an absolute http(s) URL with a plain host name, else "".

    Characters that have no business in a URL (quotes, angle brackets, backslash) are
    percent-encoded, so the value is also harmless in an attribute after any re-serialisation.
    """
    if not url or len(url) > 4000:
        return ""
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host or not _HOST.match(host):
        return ""
    if "@" in parts.netloc:  # user info: "https://bank.example@evil.example/" misleads readers
        return ""
    return _URL_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", url)


def local_time(value: datetime | None, tz: ZoneInfo) -> tuple[str, str]:
    """``("3 May 2024, 09:30 CEST", ISO)`` in the recipient's time zone."""
    if value is None:
        return "", ""
    local = value.astimezone(tz)
    return f"{local.day} {local:%b %Y, %H:%M %Z}", local.isoformat(timespec="minutes")


def local_date(value: datetime, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    return f"{local.day} {local:%b %Y}"
