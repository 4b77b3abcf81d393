"""Why an item was judged relevant or not: typed records and their one JSON boundary.

The matcher (:mod:`monitor.relevance.matcher`) builds an :class:`Explanation`; the archive stores
it as JSON (``items.explanation``) through :func:`explanation_to_json`; every reader (the item
page, search highlighting, ``monitor explain``, label evaluation) gets it back through
:func:`explanation_from_json` or :func:`read_stored` and never looks into the JSON itself.

The JSON carries ``version`` (:data:`EXPLANATION_VERSION`). A stored explanation of another
version, or one that does not have the expected shape, is never guessed at: :func:`read_stored`
returns an :class:`UnreadableExplanation` saying why and that ``monitor rescore`` writes a current
one, so a page shows that instead of failing.

Version 1 (the current one)::

    {"version": 1, "topic": "iran-russia", "score": 6.0, "threshold": 3.0, "relevant": true,
     "language": {"code": "en", "declared": "en", "reason": "…"},
     "sides": {"iran": [{"term": "Iran", "form": "iran", "where": "title", "count": 1}], …},
     "bilateral": [TermCount…],
     "points": [{"reason": "title_pair", "where": "title", "points": 4.0, "text": "…"?}],
     "penalties": [{"reason": "list_mention", "factor": 0.2, "where": "…"?, "countries": […]?,
                    "terms": […]?}],
     "rules": [{"rule": "name", "kind": "include" | "exclude", "points": 3.0}],
     "themes" | "figures" | "entities": {"name": [{"term", "form", "where", "snippet"}]},
     "label": {"relevant": false, "rules_said": true, "reviewer": "…"?}?}
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

from pydantic import TypeAdapter, ValidationError

EXPLANATION_VERSION = 1

Where = str  # "title", "body", "sentence N", "paragraph N"

# The records made many times per item (points, penalties, matched terms, evidence) are named
# tuples: immutable, typed, and several times cheaper to build than frozen dataclasses.


class Evidence(NamedTuple):
    """One matched form with the words around it (themes, key figures, entities)."""

    term: str  # the topic's term
    form: str  # the word(s) as they appear, folded
    where: Literal["title", "body"]
    snippet: str

    def as_dict(self) -> dict[str, str]:
        return {"term": self.term, "form": self.form, "where": self.where, "snippet": self.snippet}


class TermCount(NamedTuple):
    """How often one form of a side's (or a bilateral) term was matched, in the title or body."""

    term: str
    form: str
    where: Literal["title", "body"]
    count: int  # type: ignore[assignment]  # the field hides tuple.count, which nothing uses


class Point(NamedTuple):
    """Points from one piece of evidence (``reason``: title_pair, sentence_pair+lead, …)."""

    reason: str
    where: Where
    points: float
    text: str | None = None  # the sentence, for the first few body points

    @property
    def sentence(self) -> int | None:
        """The 1-based body sentence the points come from, if any."""
        if self.where.startswith("sentence "):
            number = self.where[9:]
            return int(number) if number.isdigit() else None
        return None


class Penalty(NamedTuple):
    """A multiplier: a list mention, a sports item or a custom negative context."""

    reason: str  # list_mention | sports | custom:NAME
    factor: float
    where: Where | None = None
    countries: tuple[str, ...] = ()  # list_mention: the other countries named
    terms: tuple[str, ...] = ()  # sports: the terms found


class RuleHit(NamedTuple):
    """A user rule that matched: points added (include) or taken (exclude, negative)."""

    rule: str
    kind: Literal["include", "exclude"]
    points: float


@dataclass(frozen=True, slots=True)
class LanguageDecision:
    code: str
    declared: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class ReviewerLabel:
    """A reviewer's relevance label in force over the rules' decision."""

    relevant: bool
    rules_said: bool
    reviewer: str | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    """One relevance decision and its evidence (see the module docstring for the JSON form)."""

    topic: str
    score: float
    threshold: float
    relevant: bool
    language: LanguageDecision
    sides: Mapping[str, tuple[TermCount, ...]]
    bilateral: tuple[TermCount, ...]
    points: tuple[Point, ...]
    penalties: tuple[Penalty, ...]
    rules: tuple[RuleHit, ...]
    themes: Mapping[str, tuple[Evidence, ...]]
    figures: Mapping[str, tuple[Evidence, ...]]
    entities: Mapping[str, tuple[Evidence, ...]]
    label: ReviewerLabel | None = None
    version: int = EXPLANATION_VERSION

    def labelled(self, relevant: bool, *, reviewer: str | None = None) -> Explanation:
        """The explanation with a reviewer's label in force (what the rules said is kept from an
        earlier label, if any)."""
        rules_said = self.label.rules_said if self.label is not None else self.relevant
        label = ReviewerLabel(relevant, rules_said, reviewer)
        return replace(self, relevant=relevant, label=label)

    def matched_forms(self, *, limit: int = 100) -> list[str]:
        """The matched forms (sides, bilateral forms, themes, key figures), each once, for
        marking in the item's text. Labels, reasons and snippets are not forms."""
        entries: list[TermCount | Evidence] = []
        for side in self.sides.values():
            entries.extend(side)
        for group in (self.themes, self.figures):
            for evidence in group.values():
                entries.extend(evidence)
        entries.extend(self.bilateral)
        found: list[str] = []
        for entry in entries:
            form = entry.form
            if 2 <= len(form) <= 80 and form not in found:
                found.append(form)
                if len(found) >= limit:
                    break
        return found


@dataclass(frozen=True, slots=True)
class UnreadableExplanation:
    """A stored explanation that cannot be read as the current version (and why)."""

    reason: str

    @property
    def advice(self) -> str:
        return f"{self.reason}; run `monitor rescore` to store a current explanation"


StoredExplanation = Explanation | UnreadableExplanation


class ExplanationFormatError(ValueError):
    """Stored JSON that is not a current explanation (message: what is wrong)."""


# -------------------------------------------------------------------------------- to JSON


def _term_counts(entries: tuple[TermCount, ...]) -> list[dict[str, Any]]:
    return [{"term": e.term, "form": e.form, "where": e.where, "count": e.count} for e in entries]


def _evidence(groups: Mapping[str, tuple[Evidence, ...]]) -> dict[str, list[dict[str, str]]]:
    return {name: [e.as_dict() for e in evidence] for name, evidence in groups.items()}


def _point(p: Point) -> dict[str, Any]:
    out: dict[str, Any] = {"reason": p.reason, "where": p.where, "points": p.points}
    if p.text is not None:
        out["text"] = p.text
    return out


def _penalty(p: Penalty) -> dict[str, Any]:
    out: dict[str, Any] = {"reason": p.reason, "factor": p.factor}
    if p.where is not None:
        out["where"] = p.where
    if p.countries:
        out["countries"] = list(p.countries)
    if p.terms:
        out["terms"] = list(p.terms)
    return out


def explanation_to_json(e: Explanation) -> dict[str, Any]:
    """The stored form (JSON-ready: dicts, lists, strings, numbers)."""
    out: dict[str, Any] = {
        "version": e.version,
        "topic": e.topic,
        "score": e.score,
        "threshold": e.threshold,
        "relevant": e.relevant,
        "language": {
            "code": e.language.code,
            "declared": e.language.declared,
            "reason": e.language.reason,
        },
        "sides": {side: _term_counts(entries) for side, entries in e.sides.items()},
        "bilateral": _term_counts(e.bilateral),
        "points": [_point(p) for p in e.points],
        "penalties": [_penalty(p) for p in e.penalties],
        "rules": [{"rule": r.rule, "kind": r.kind, "points": r.points} for r in e.rules],
        "themes": _evidence(e.themes),
        "figures": _evidence(e.figures),
        "entities": _evidence(e.entities),
    }
    if e.label is not None:
        out["label"] = {"relevant": e.label.relevant, "rules_said": e.label.rules_said}
        if e.label.reviewer is not None:
            out["label"]["reviewer"] = e.label.reviewer
    return out


# -------------------------------------------------------------------------------- from JSON


@functools.cache
def _adapter() -> TypeAdapter[Explanation]:
    """Built on first use (building it costs more than importing this module). Unknown keys are
    ignored (a stdlib dataclass's default); lists become tuples."""
    return TypeAdapter(Explanation)


def explanation_from_json(raw: object) -> Explanation:
    """The stored form read back; :class:`ExplanationFormatError` when it is not a current
    explanation (another version, or a field missing or of the wrong type)."""
    if not isinstance(raw, Mapping):
        raise ExplanationFormatError(f"expected a JSON object, found {type(raw).__name__}")
    version = raw.get("version")
    if version != EXPLANATION_VERSION:
        found = "no version" if version is None else f"version {version!r}"
        raise ExplanationFormatError(
            f"stored explanation has {found}, this monitor reads version {EXPLANATION_VERSION}"
        )
    try:
        return _adapter().validate_python(dict(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ExplanationFormatError(
            f"stored explanation is malformed at {key}: {first['msg']}"
        ) from None


def read_stored(raw: object) -> StoredExplanation | None:
    """The stored explanation for display: None when there is none, an
    :class:`UnreadableExplanation` when it cannot be read (never raises)."""
    if raw is None:
        return None
    try:
        return explanation_from_json(raw)
    except ExplanationFormatError as exc:
        return UnreadableExplanation(str(exc))


def stored_to_json(stored: StoredExplanation | None) -> dict[str, Any] | None:
    """For JSON output (API, ``--json``): the explanation, or ``{"unreadable": why}``."""
    if stored is None:
        return None
    if isinstance(stored, UnreadableExplanation):
        return {"unreadable": stored.advice}
    return explanation_to_json(stored)
