"""Language facts: the languages sources are declared in, their names and writing direction.

Detection of an item's language is a relevance step (:mod:`monitor.relevance.language`); this
module only knows about languages, so configuration, digests, the web app and the local news site
share one list.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["en", "ru", "fa"]
Direction = Literal["ltr", "rtl"]

LANGUAGES: tuple[Language, ...] = ("en", "ru", "fa")
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "ru": "Russian", "fa": "Persian"}
# written right to left; detection can report Arabic and Urdu beside Persian
RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur"})


def direction(language: str | None) -> Direction:
    """``rtl`` for right-to-left languages, ``ltr`` for everything else (unknown included)."""
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def language_name(language: str) -> str:
    """The English name of a language code ("" → "unknown language")."""
    return LANGUAGE_NAMES.get(language, language.upper() or "unknown language")
