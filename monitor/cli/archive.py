"""``monitor search | show | export | serve``: review the archive from the shell or a browser."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.table import Table

from monitor.cli.context import AppContext, did_you_mean, pass_app
from monitor.errors import MonitorError, NotFoundError
from monitor.languages import LANGUAGES
from monitor.records import EXPORT_FIELDS
from monitor.search.export import ExportFormat, csv_row, write_export

if TYPE_CHECKING:
    from monitor.relevance.names import NameTable
from monitor.explanation import UnreadableExplanation, stored_to_json
from monitor.search.filters import (
    RELEVANCE_CHOICES,
    SORT_CHOICES,
    Relevance,
    SearchFilters,
    filters_from_mapping,
)

F = TypeVar("F", bound=Callable[..., Any])


def _unknown(values: tuple[str, ...] | list[str], known: set[str]) -> list[str]:
    folded = {k.casefold() for k in known}
    return [v for v in values if v.casefold() not in folded]


def _warn(app: AppContext, option: str, value: str, known: set[str], where: str) -> None:
    hint = did_you_mean(value, known) or f" (see {where})"
    app.err_console.print(
        f"warning: {option} {value!r} matches nothing known{hint}", markup=False, highlight=False
    )


def warn_unknown_filters(app: AppContext, params: dict[str, Any]) -> None:
    """A warning on stderr for each --language, --source, --theme or --figure value that cannot
    match anything (a typo would otherwise just return nothing)."""
    languages: set[str] = set(LANGUAGES)
    for value in _unknown(params.get("languages") or (), languages):
        _warn(app, "--language", value, languages, ", ".join(LANGUAGES))
    sources = params.get("sources") or ()
    if sources:
        from monitor.db.read.sources import source_names

        with app.db.session() as session:
            names = source_names(session)
        for value in _unknown(sources, names) if names else ():
            _warn(app, "--source", value, names, "`monitor sources list`")
    themes, figures = params.get("themes") or (), params.get("figures") or ()
    if themes or figures:
        known_themes, known_figures = topic_vocabulary(app)
        for value in _unknown(themes, known_themes) if known_themes else ():
            _warn(app, "--theme", value, known_themes, "the topic file's themes")
        for value in _unknown(figures, known_figures) if known_figures else ():
            _warn(app, "--figure", value, known_figures, "the topic file's figures")


def name_table(app: AppContext) -> NameTable | None:
    """Key figures and entities of the configured topic across languages (None: no topic)."""
    from monitor.relevance.names import NameTable
    from monitor.relevance.topic import load_topic

    try:
        return NameTable.from_topic(load_topic(app.config.topic_path))
    except MonitorError:
        return None


def topic_vocabulary(app: AppContext) -> tuple[set[str], set[str]]:
    """Theme and key-figure names of the configured topic (empty when it cannot be loaded)."""
    from monitor.relevance.topic import load_topic

    try:
        topic = load_topic(app.config.topic_path)
    except MonitorError:
        return set(), set()
    figures = {f.name for side in topic.sides.values() for f in side.figures}
    return set(topic.themes), figures


def filter_options(default_relevance: Relevance) -> Callable[[F], F]:
    """The filter options shared by ``search`` and ``export``."""

    def decorate(func: F) -> F:
        opts = [
            click.option(
                "--from", "date_from", metavar="YYYY-MM-DD", help="Published on or after."
            ),
            click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Published on or before."),
            click.option("--source", "sources", multiple=True, help="Source name (repeatable)."),
            click.option(
                "--language", "languages", multiple=True, help="en, ru or fa (repeatable)."
            ),
            click.option("--theme", "themes", multiple=True, help="Theme tag (repeatable)."),
            click.option("--figure", "figures", multiple=True, help="Key figure (repeatable)."),
            click.option("--entity", "entities", multiple=True, help="Entity tag (repeatable)."),
            click.option(
                "--relevance",
                type=click.Choice(RELEVANCE_CHOICES),
                default=default_relevance,
                show_default=True,
                help="Relevant items, irrelevant ones, or all.",
            ),
            click.option("--story", "story", type=int, help="Only items of this story."),
        ]
        for opt in reversed(opts):
            func = opt(func)
        return func

    return decorate


def _filters(
    query: str, params: dict[str, Any], default: Relevance, sort: str = "newest"
) -> SearchFilters:
    mapping: dict[str, Any] = {
        "q": query,
        "from": params.get("date_from"),
        "to": params.get("date_to"),
        "source": list(params.get("sources") or ()),
        "language": list(params.get("languages") or ()),
        "theme": list(params.get("themes") or ()),
        "figure": list(params.get("figures") or ()),
        "entity": list(params.get("entities") or ()),
        "relevance": params.get("relevance"),
        "story": str(params["story"]) if params.get("story") is not None else None,
        "sort": sort,
    }
    return filters_from_mapping(mapping, default_relevance=default)


@click.command("search")
@click.argument("query", required=False, default="")
@filter_options("relevant")
@click.option(
    "--sort",
    type=click.Choice(SORT_CHOICES),
    default="newest",
    show_default=True,
    help="By publication time (first seen when undated), or best match.",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Search only what is typed: key figures and entities not also in other languages.",
)
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Per page."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@pass_app
def search_cmd(
    app: AppContext,
    /,
    query: str,
    sort: str,
    exact: bool,
    page: int,
    limit: int,
    fmt: str,
    **params: Any,
) -> None:
    """Search the archive. QUERY: words, "phrases", prefix*, AND, OR, NOT/-, (parentheses),
    fields title: source: lang: theme: entity: figure:.

    Without QUERY, lists the newest items that pass the filters. A key figure or entity named in
    QUERY also finds its names in the topic's other languages (--exact: only what is typed).
    """
    from monitor.db.read.items import search

    filters = _filters(query, params, "relevant", sort)
    warn_unknown_filters(app, params)
    node = filters.parsed()
    expansion = None
    if node is not None and not exact:
        names = name_table(app)
        if names is not None:
            expansion = names.expand(node)
            node = expansion.node
    with app.db.session() as session:
        result = search(session, filters, page=page, page_size=limit, node=node)
    expanded = [
        {"kind": m.kind, "name": m.name, "typed": m.typed, "forms": list(m.forms)}
        for m in (expansion.names if expansion else ())
    ]
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "query": filters.query,
                    "page": result.page,
                    "total": result.total,
                    "total_capped": result.capped,
                    "has_next": result.has_next,
                    "expanded": expanded,
                    "items": [r.to_dict() for r in result.records],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(EXPORT_FIELDS)
        for record in result.records:
            writer.writerow(csv_row(record))
        return
    for m in expanded:
        app.err_console.print(
            f"also searching {m['typed']!r} ({m['kind']} {m['name']}) as: {', '.join(m['forms'])}"
            " (--exact: only what is typed)",
            markup=False,
            highlight=False,
        )
    table = Table(title=f"{result.total_label} item(s), page {result.page}")
    for col in ("id", "time", "lang", "source", "title", "themes", "story"):
        table.add_column(col, overflow="fold")
    for r in result.records:
        table.add_row(
            str(r.id),
            r.sort_time.strftime("%Y-%m-%d %H:%M") + ("" if r.sort_label == "published" else " *"),
            r.language or "",
            r.source,
            r.title,
            ", ".join(r.themes),
            f"{r.story} ({r.story_role})" if r.story else "",
        )
    app.console.print(table, markup=False)
    if any(r.sort_label != "published" for r in result.records):
        app.err_console.print("* first seen (no plausible publication date)", markup=False)
    if result.has_next:
        app.err_console.print(f"more: --page {result.page + 1}", markup=False)


@click.command("show")
@click.argument("item_id", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_app
def show_cmd(app: AppContext, item_id: int, fmt: str) -> None:
    """Show one item: metadata, why it is relevant, its story and its text."""
    from monitor.db.read.items import item_detail

    with app.db.session() as session:
        detail = item_detail(session, item_id)
    if detail is None:
        raise NotFoundError(f"archive: no item {item_id}; find ids with `monitor search`")
    record, explanation = detail.record, detail.explanation
    if fmt == "json":
        data = record.to_dict() | {
            "explanation": stored_to_json(explanation),
            "date_text": detail.date_text,
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    lines = [
        f"#{record.id}  {record.title}",
        f"source:     {record.source} ({record.language or '?'})",
        f"published:  {record.published_at.isoformat() if record.published_at else '-'}",
        f"first seen: {record.first_seen_at.isoformat()}",
        *([f"date given: {detail.date_text!r} (not a readable date)"] if detail.date_text else []),
        f"url:        {record.url}",
        f"canonical:  {record.canonical_url}",
        f"relevant:   {'yes' if record.relevant else 'no'} (score {record.score})",
        f"themes:     {', '.join(record.themes) or '-'}",
        f"figures:    {', '.join(record.figures) or '-'}",
        f"story:      {record.story} ({record.story_role})" if record.story else "story:      -",
    ]
    if isinstance(explanation, UnreadableExplanation):
        lines.append("why:        " + explanation.advice)
    elif explanation is not None:
        why = json.dumps(stored_to_json(explanation), ensure_ascii=False)
        lines.append(f"why:        {why}")
    lines += ["", record.text]
    click.echo("\n".join(lines))


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "atom"]),
    required=True,
    help="Output format.",
)
@click.option("--query", "-q", "query", default="", help="Only items matching this search query.")
@filter_options("all")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File (default: stdout).",
)
@click.option("--batch-size", type=click.IntRange(10, 100_000), default=1000, show_default=True)
@pass_app
def export_cmd(
    app: AppContext,
    /,
    fmt: ExportFormat,
    query: str,
    output: Path | None,
    batch_size: int,
    **params: Any,
) -> None:
    """Export items (default: the whole archive, irrelevant items included), oldest first."""
    from monitor.db.read.items import iter_records

    filters = _filters(query, params, "all")
    filters.parsed()
    warn_unknown_filters(app, params)
    title = f"{app.config.settings.digest.title} export"
    with app.db.session() as session:
        records = iter_records(session, filters, batch_size=batch_size)
        if output is None:
            n = write_export(records, sys.stdout, fmt, title=title)
        else:
            with output.open("w", encoding="utf-8", newline="") as fh:
                n = write_export(records, fh, fmt, title=title)
    click.echo(f"exported {n} item(s)", err=True)


@click.command("serve")
@click.option("--host", default=None, help="Interface (default: web.host, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Port (default: web.port)."
)
@pass_app
def serve_cmd(app: AppContext, host: str | None, port: int | None) -> None:
    """Serve the archive web app. Binding beyond loopback needs MONITOR_WEB_TOKEN."""
    import os

    from monitor.web.server import check_bind, serve

    web = app.config.settings.web
    tokens = web.reader_tokens(os.environ)
    check_bind(host or web.host, web.token.get_secret_value() if web.token else None, tokens)
    serve(app.config, app.db, host=host or web.host, port=port or web.port)
