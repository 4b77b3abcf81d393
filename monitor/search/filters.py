"""What a search asks for: a query plus filters, validated once for the CLI, the web app and the API."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, cast

from monitor.errors import InputError
from monitor.query import Node, parse_query

Relevance = Literal["relevant", "irrelevant", "all"]
Sort = Literal["newest", "oldest", "relevance"]
RELEVANCE_CHOICES: tuple[Relevance, ...] = ("relevant", "irrelevant", "all")
SORT_CHOICES: tuple[Sort, ...] = ("newest", "oldest", "relevance")
MAX_QUERY_LENGTH = 500


class SearchInputError(InputError):
    """A filter value could not be understood (a bad date, an unknown choice)."""


@dataclass(frozen=True)
class SearchFilters:
    """A search: the query text (may be empty: browse) and filters, all optional.

    Dates are inclusive calendar days (UTC) and apply to the publication time, or to the time the
    item was first seen when it has none. ``relevance`` defaults to relevant items only. Results
    sort on the publication time (the first-seen time when the date is missing or implausible).
    ``cross_language``: key figures and entities named in the query also find their names in
    the topic's other languages (the caller expands the query; see
    :mod:`monitor.relevance.names`).
    """

    query: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    relevance: Relevance = "relevant"
    story_id: int | None = None
    sort: Sort = "newest"
    cross_language: bool = True

    def parsed(self) -> Node | None:
        """The parsed query, or None for a browse without query; raises QuerySyntaxError."""
        text = self.query.strip()
        return parse_query(text, max_length=MAX_QUERY_LENGTH) if text else None

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.date_from, time.min, UTC) if self.date_from else None

    @property
    def end(self) -> datetime | None:
        """Exclusive upper bound: the start of the day after ``date_to``."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time.min, UTC)

    def as_params(self) -> dict[str, str | list[str]]:
        """Query-string parameters that rebuild these filters (for links and pagination)."""
        out: dict[str, str | list[str]] = {}
        if self.query:
            out["q"] = self.query
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        for key, values in (
            ("source", self.sources),
            ("language", self.languages),
            ("theme", self.themes),
            ("figure", self.figures),
            ("entity", self.entities),
        ):
            if values:
                out[key] = list(values)
        if self.relevance != "relevant":
            out["relevance"] = self.relevance
        if self.story_id is not None:
            out["story"] = str(self.story_id)
        if self.sort != "newest":
            out["sort"] = self.sort
        if not self.cross_language:
            out["xl"] = "0"
        return out


def parse_day(value: str | None, name: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise SearchInputError(f"search: {name} {value!r} is not a date; use YYYY-MM-DD") from None


def _choice(value: str | None, choices: Sequence[str], name: str, default: str) -> str:
    if value is None or value == "":
        return default
    if value not in choices:
        raise SearchInputError(
            f"search: {name} must be one of {', '.join(choices)} (got {value!r})"
        )
    return value


def _story(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise SearchInputError(f"search: story must be a story number (got {value!r})") from None


def filters_from_params(
    get: Callable[[str], str | None],
    get_list: Callable[[str], Sequence[str]],
    *,
    default_relevance: Relevance = "relevant",
) -> SearchFilters:
    """Build filters from request-style parameters (``q``, ``from``, ``to``, ``source``…)."""

    def values(key: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in get_list(key) if v and v.strip())

    return SearchFilters(
        query=(get("q") or "").strip(),
        date_from=parse_day(get("from"), "from"),
        date_to=parse_day(get("to"), "to"),
        sources=values("source"),
        languages=values("language"),
        themes=values("theme"),
        figures=values("figure"),
        entities=values("entity"),
        relevance=cast(
            Relevance, _choice(get("relevance"), RELEVANCE_CHOICES, "relevance", default_relevance)
        ),
        story_id=_story(get("story")),
        sort=cast(Sort, _choice(get("sort"), SORT_CHOICES, "sort", "newest")),
        cross_language=(get("xl") or "1").strip() not in ("0", "off", "false", "no"),
    )


def filters_from_mapping(
    params: Mapping[str, str | Sequence[str] | None], *, default_relevance: Relevance = "relevant"
) -> SearchFilters:
    def get(key: str) -> str | None:
        value = params.get(key)
        if value is None or isinstance(value, str):
            return value
        return value[0] if value else None

    def get_list(key: str) -> Sequence[str]:
        value = params.get(key)
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else value

    return filters_from_params(get, get_list, default_relevance=default_relevance)
