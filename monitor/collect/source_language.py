"""The language of a source, for ``monitor sources add`` and OPML import: what its feed (or news
sitemap, or page) declares, else what its items are written in.

Detection runs :func:`monitor.relevance.language.detect_language` on each item's title and text
and takes the language most items are in; a declared language wins over detection, as the feed's
publisher knows best what it publishes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.languages import LANGUAGES, Language
from monitor.relevance.language import detect_language

# three-letter codes (ISO 639-2/3) that feeds sometimes declare
_THREE_LETTER = {"eng": "en", "rus": "ru", "per": "fa", "fas": "fa", "pes": "fa"}


@dataclass(frozen=True, slots=True)
class SourceLanguage:
    """``code``: the language found ("fa", or one this monitor does not read, such as "de");
    ``None`` when there was nothing to go by. ``how``: where it came from, for the operator."""

    code: str | None
    how: str

    @property
    def usable(self) -> Language | None:
        """The language as a source may have it, or ``None``."""
        for lang in LANGUAGES:
            if lang == self.code:
                return lang
        return None

    def describe(self) -> str:
        if self.code is None:
            return self.how
        return f"{self.code} ({self.how})"

    def problem(self) -> str:
        """Why this cannot be a source's language (for a message that asks for ``--language``)."""
        if self.code is None:
            return f"its language is unknown: {self.how}"
        return (
            f"its language is {self.code!r} ({self.how}); sources can be in {', '.join(LANGUAGES)}"
        )


def language_tag(value: str | None) -> str | None:
    """The primary language of a tag: ``fa-IR`` → ``fa``, ``RU`` → ``ru``, ``per`` → ``fa``."""
    if not value:
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    primary = _THREE_LETTER.get(primary, primary)
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def source_language(
    declared: Iterable[str | None],
    texts: Sequence[str],
    *,
    declared_by: str,
    unit: tuple[str, str] = ("item", "items"),
) -> SourceLanguage:
    """The declared language (the commonest tag in ``declared``), else the language most of
    ``texts`` are detected in. ``declared_by`` names the declaring document ("the feed"); ``unit``
    what one text is, singular and plural."""
    tags = Counter(tag for tag in map(language_tag, declared) if tag)
    if tags:
        code, _ = tags.most_common(1)[0]
        return SourceLanguage(code, f"declared by {declared_by}")
    samples = [t for t in texts if t.strip()]
    found = Counter(
        d.code for d in (detect_language(t) for t in samples) if d.code and d.code != "und"
    )
    if not found:
        what = f"{declared_by} does not declare it"
        if samples:
            return SourceLanguage(None, f"{what}, and its text tells nothing")
        return SourceLanguage(None, f"{what}, and has no {unit[1]} to detect it from")
    code, count = found.most_common(1)[0]
    if len(samples) == 1:
        return SourceLanguage(code, f"detected in its {unit[0]}")
    return SourceLanguage(code, f"detected in {count} of {len(samples)} {unit[1]}")
