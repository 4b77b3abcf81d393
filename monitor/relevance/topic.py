"""The topic file: what the two sides are called, how matches are weighed, what lowers a score.

A topic names two *sides* (e.g. ``iran`` and ``russia``). Each side has term groups (country names,
capitals, institutions, places), each with a weight, and key figures. ``bilateral`` terms name both
sides at once ("Iran-Russia", "российско-иранский", "ایران و روسیه"). ``themes`` tag relevant items.
``entities`` (key places, projects, systems, weapons, organisations) are tagged like key figures
but never change a score; dedup uses them to link reports across languages.
``negatives`` lower the score of list mentions, sports fixtures and user-defined contexts, and
``rules`` are user include/exclude queries in the :mod:`monitor.query` language.

Term syntax (one string per term; see :mod:`monitor.relevance.terms`)::

    Iran                 a whole word (case, ё/е, Persian letter variants and ZWNJ folded)
    sanction*            any word starting with "sanction" (stem of at least 3 letters)
    иран+ru_noun_m       stem + every ending of the class ``ru_noun_m`` in ``endings:``
    москв{а,ы,е,у,ой}    stem + the endings listed inline (an empty ending keeps the bare stem)
    Islamic Republic     a phrase: words in order; a hyphen or dash may stand between them
    Iran-Russia          the same phrase written with a hyphen

Problems are reported as :class:`~monitor.errors.ConfigError` naming file, key and reason; a bad
rule query also names the character position.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from monitor.config import problems_from_validation, read_yaml
from monitor.errors import ConfigError, ConfigProblem, QuerySyntaxError
from monitor.query import Node, parse_query

_LANG = re.compile(r"^[a-z]{2,3}$")


def _check_languages(value: dict[str, list[str]]) -> dict[str, list[str]]:
    for lang in value:
        if not _LANG.match(lang):
            raise ValueError(f"language key {lang!r} must be a 2–3 letter code such as en, ru, fa")
    return value


TermsByLanguage = Annotated[dict[str, list[str]], AfterValidator(_check_languages)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TermGroup(_Model):
    """Terms naming one side, with how much a match counts (1.0 = the country's own name)."""

    kind: str = Field(description="What the terms are: country, capital, institution, place…")
    weight: float = Field(1.0, gt=0, le=2)
    terms: TermsByLanguage


class Figure(_Model):
    """A key figure: tagged when named; a mention also counts for the figure's side."""

    name: str = Field(min_length=1, max_length=120)
    role: str = ""
    weight: float = Field(0.9, gt=0, le=2)
    terms: TermsByLanguage


class Entity(_Model):
    """A key place, project, system, weapon or organisation: tagged when named, never scored.

    ``generic`` marks entities too broad to identify an event on their own (a sea, a bloc);
    dedup counts them less when linking reports across languages."""

    name: str = Field(min_length=1, max_length=120)
    kind: str = Field("", description="place, project, system, weapon, organisation, agreement…")
    generic: bool = False
    terms: TermsByLanguage


class Side(_Model):
    label: str
    groups: list[TermGroup] = Field(min_length=1)
    figures: list[Figure] = Field(default_factory=list)


class Bilateral(_Model):
    terms: TermsByLanguage


class Theme(_Model):
    label: str
    terms: TermsByLanguage


class Weights(_Model):
    """Points added to an item's score. An item is relevant when its score reaches the threshold."""

    title_pair: float = Field(4.0, ge=0, description="Both sides named in the title")
    title_bilateral: float = Field(6.0, ge=0, description="A bilateral form in the title")
    title_one_side: float = Field(1.0, ge=0, description="Only one side in the title")
    title_cross: float = Field(1.0, ge=0, description="Title names one side, the lead the other")
    sentence_pair: float = Field(1.5, ge=0, description="Both sides in one body sentence")
    sentence_bilateral: float = Field(2.5, ge=0, description="A bilateral form in a body sentence")
    paragraph_pair: float = Field(0.75, ge=0, description="Both sides in one paragraph")
    document_pair: float = Field(0.5, ge=0, description="Both sides somewhere, never together")
    lead_factor: float = Field(
        1.5, ge=1, description="Multiplier for the first sentences of the body"
    )
    lead_sentences: int = Field(2, ge=0, description="How many body sentences form the lead")
    body_cap: float = Field(8.0, gt=0, description="Body points never exceed this")
    theme_title: float = Field(2.0, ge=0, description="Theme evidence points for a title match")
    theme_body: float = Field(1.0, ge=0, description="Theme evidence points for a body match")
    theme_min: float = Field(2.0, gt=0, description="Theme tagged when its points reach this")


class ListMention(_Model):
    """Sentences naming both sides among many countries count for little."""

    min_countries: int = Field(4, ge=3, description="Distinct countries (both sides included)")
    factor: float = Field(0.2, ge=0, le=1, description="Multiplier for such a sentence's points")
    countries: TermsByLanguage = Field(default_factory=dict, description="Other countries' names")


class Sports(_Model):
    min_hits: int = Field(2, ge=1, description="Sports terms needed (a title match counts twice)")
    factor: float = Field(0.25, ge=0, le=1, description="Score multiplier for a sports item")
    terms: TermsByLanguage = Field(default_factory=dict)


class CustomNegative(_Model):
    name: str
    query: str = Field(description="monitor.query syntax, matched against title and text")
    factor: float = Field(0.5, ge=0, le=1, description="Score multiplier when the query matches")


class Negatives(_Model):
    list_mention: ListMention = Field(default_factory=ListMention)
    sports: Sports = Field(default_factory=Sports)
    custom: list[CustomNegative] = Field(default_factory=list)


class Rule(_Model):
    name: str
    query: str = Field(description="monitor.query syntax, matched against title and text")
    points: float | None = Field(
        None,
        ge=0,
        description="include: added (default: the threshold); exclude: subtracted (default: all)",
    )


class Rules(_Model):
    include: list[Rule] = Field(default_factory=list)
    exclude: list[Rule] = Field(default_factory=list)


class Topic(_Model):
    name: str = Field(min_length=1, max_length=80)
    title: str = ""
    threshold: float = Field(3.0, gt=0)
    sides: dict[str, Side]
    bilateral: Bilateral
    endings: dict[str, list[str]] = Field(default_factory=dict)
    themes: dict[str, Theme] = Field(default_factory=dict)
    entities: list[Entity] = Field(default_factory=list)
    weights: Weights = Field(default_factory=Weights)
    negatives: Negatives = Field(default_factory=Negatives)
    rules: Rules = Field(default_factory=Rules)

    @model_validator(mode="after")
    def _two_sides(self) -> Topic:
        if len(self.sides) != 2:
            raise ValueError(f"sides: a topic has exactly two sides, found {len(self.sides)}")
        names = [e.name for e in self.entities]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"entities: names must be unique, repeated: {', '.join(dupes)}")
        return self

    @property
    def side_names(self) -> tuple[str, str]:
        a, b = self.sides
        return a, b


def _term_lists(topic: Topic) -> list[tuple[str, str]]:
    """(key, term) for every term string in the topic, for syntax checking."""
    out: list[tuple[str, str]] = []

    def add(prefix: str, terms: TermsByLanguage) -> None:
        for lang, items in terms.items():
            out.extend((f"{prefix}.{lang}.{i}", t) for i, t in enumerate(items))

    for sname, side in topic.sides.items():
        for gi, group in enumerate(side.groups):
            add(f"sides.{sname}.groups.{gi}.terms", group.terms)
        for fi, figure in enumerate(side.figures):
            add(f"sides.{sname}.figures.{fi}.terms", figure.terms)
    add("bilateral.terms", topic.bilateral.terms)
    for ei, entity in enumerate(topic.entities):
        add(f"entities.{ei}.terms", entity.terms)
    for tname, theme in topic.themes.items():
        add(f"themes.{tname}.terms", theme.terms)
    for lang, entries in topic.negatives.list_mention.countries.items():
        for i, entry in enumerate(entries):
            key = f"negatives.list_mention.countries.{lang}.{i}"
            out.extend((key, t.strip()) for t in entry.split("|") if t.strip())
    add("negatives.sports.terms", topic.negatives.sports.terms)
    return out


def _queries(topic: Topic) -> list[tuple[str, str]]:
    out = [(f"negatives.custom.{i}.query", c.query) for i, c in enumerate(topic.negatives.custom)]
    out += [(f"rules.include.{i}.query", r.query) for i, r in enumerate(topic.rules.include)]
    out += [(f"rules.exclude.{i}.query", r.query) for i, r in enumerate(topic.rules.exclude)]
    return out


def check_topic(topic: Topic, path: str = "<topic>") -> list[ConfigProblem]:
    """Every term and query problem of an already validated topic."""
    from monitor.relevance.terms import TermSyntaxError, parse_term

    problems: list[ConfigProblem] = []
    for key, term in _term_lists(topic):
        try:
            parse_term(term, topic.endings)
        except TermSyntaxError as exc:
            problems.append(ConfigProblem(path, key, f"{exc} in term {term!r}"))
    for key, query in _queries(topic):
        try:
            parse_query(query)
        except QuerySyntaxError as exc:
            msg = str(exc).removeprefix("query: ")
            problems.append(ConfigProblem(path, key, f"{msg} in {query!r}"))
    return problems


def topic_from_data(raw: Any, path: str = "<topic>") -> Topic:
    if not isinstance(raw, dict):
        raise ConfigError([ConfigProblem(path, "", "top level must be a mapping (name, sides, …)")])
    try:
        topic = Topic.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(path, exc)) from None
    problems = check_topic(topic, path)
    if problems:
        raise ConfigError(problems)
    return topic


def load_topic(path: str | Path) -> Topic:
    """Read and validate a topic file; every problem is reported as a ConfigError."""
    p = Path(path)
    return topic_from_data(read_yaml(p), str(p))


def compile_query(query: str) -> Node:
    """A query already checked by :func:`load_topic`."""
    return parse_query(query)


NAMING_KINDS = ("country", "capital")


def naming_words(topic: Topic) -> frozenset[str]:
    """Every single-word form of the sides' ``country`` and ``capital`` terms, normalised
    (``иран+ru_noun`` → иран, ирана, ирану…): words found in nearly every item of the topic, which
    say nothing about which event an item reports (copy detection ignores them in titles)."""
    from monitor.relevance.terms import parse_term
    from monitor.textnorm import normalise

    words: set[str] = set()
    for side in topic.sides.values():
        for group in side.groups:
            if group.kind not in NAMING_KINDS:
                continue
            for terms in group.terms.values():
                for term in terms:
                    for alternative in parse_term(term, topic.endings):
                        if len(alternative) == 1:
                            words.update(normalise(f) for f in alternative[0].forms)
    return frozenset(w for w in words if w and " " not in w)
