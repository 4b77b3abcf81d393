"""``monitor crawl`` and ``monitor sources status``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from monitor.cli.context import AppContext, did_you_mean, pass_app
from monitor.collect.crawl import CrawlSummary, run_crawl
from monitor.collect.progress import ProgressEvent
from monitor.db.read.sources import source_health, source_names
from monitor.errors import ExitCode, NotFoundError
from monitor.records import SourceHealth


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    delta = now - when
    seconds = int(delta.total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 90:
        text = f"{seconds}s"
    elif seconds < 5400:
        text = f"{seconds // 60}m"
    elif seconds < 172800:
        text = f"{seconds // 3600}h"
    else:
        text = f"{seconds // 86400}d"
    return f"in {text}" if future else f"{text} ago"


def _summary_table(summary: CrawlSummary) -> Table:
    table = Table(title=f"crawl run {summary.run_id}: {summary.status}")
    for col in ("source", "status", "http", "fetched", "new", "known", "errors", "message"):
        table.add_column(col, overflow="fold")
    for s in summary.sources:
        message = next((m for m in s.messages if not m.startswith("warning:")), "")
        message = message or (s.messages[0] if s.messages else "")
        table.add_row(
            s.name,
            s.status,
            str(s.http_status or ""),
            str(s.fetched),
            str(s.new_items),
            str(s.known_items),
            str(s.errors),
            message[:160],
        )
    return table


def _check_source_names(app: AppContext, names: tuple[str, ...]) -> None:
    with app.db.session() as session:
        known = source_names(session)
    for name in names:
        if name not in known:
            raise NotFoundError(
                f"crawl: no source named {name!r}{did_you_mean(name, known)} "
                "(see `monitor sources list`)"
            )


@click.command("crawl")
@click.option(
    "--source", "sources", multiple=True, metavar="NAME", help="Only this source (repeatable)."
)
@click.option(
    "--due", is_flag=True, help="Only sources whose poll interval (or back-off) has elapsed."
)
@click.option("--no-fulltext", is_flag=True, help="Never fetch article pages.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the run summary as JSON (no live progress)."
)
@click.option(
    "--trigger", default="cli", hidden=True, type=click.Choice(["cli", "scheduler", "demo"])
)
@pass_app
def crawl_cmd(
    app: AppContext,
    sources: tuple[str, ...],
    due: bool,
    no_fulltext: bool,
    as_json: bool,
    trigger: str,
) -> None:
    """Fetch new reporting from the sources, store it, judge it and fold copies.

    Exits 1 when every source failed.
    """
    from spiders.process import crawl_sources  # Scrapy itself loads once the run is recorded

    config, db = app.config, app.db
    if sources:
        _check_source_names(app, sources)
    if as_json:
        summary = run_crawl(
            config,
            db,
            engine=crawl_sources,
            source_names=sources or None,
            due_only=due,
            fulltext=not no_fulltext,
            trigger=trigger,
        )
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, default=str))
    else:
        with Progress(
            TextColumn("[bold]crawl"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "sources · {task.fields[new]} new · {task.fields[errors]} errors · {task.fields[last]}"
            ),
            TimeElapsedColumn(),
            console=app.err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("crawl", total=None, new=0, errors=0, last="")

            def on_progress(event: ProgressEvent) -> None:
                bar.update(
                    task,
                    total=event.sources_total,
                    completed=event.sources_done,
                    new=event.new_items,
                    errors=event.errors,
                    last=f"{event.source}: {event.status}",
                )

            summary = run_crawl(
                config,
                db,
                engine=crawl_sources,
                source_names=sources or None,
                due_only=due,
                fulltext=not no_fulltext,
                trigger=trigger,
                progress=on_progress,
            )
        app.console.print(_summary_table(summary))
        partial = f" ({summary.sources_partial} partial)" if summary.sources_partial else ""
        app.console.print(
            f"{summary.sources_ok}/{summary.sources_total} sources ok{partial}, "
            f"{summary.fetched} fetched, {summary.new_items} new, "
            f"{summary.attached_items} article texts attached, {summary.revised_items} revised, "
            f"{summary.known_items} known, {summary.relevant_items} relevant, "
            f"{summary.copies_folded} copies folded, "
            f"{summary.errors} errors in {summary.duration_s:.1f}s"
        )
    app.close()
    if summary.all_failed:
        sys.exit(ExitCode.FAILED)


def _state_dict(s: SourceHealth) -> dict[str, Any]:
    def iso(when: datetime | None) -> str | None:
        return when.isoformat() if when else None

    return {
        "name": s.name,
        "enabled": s.enabled,
        "kind": s.kind,
        "last_attempt_at": iso(s.last_attempt_at),
        "last_success_at": iso(s.last_success_at),
        "last_status": s.last_status,
        "last_error": s.last_error,
        "last_error_at": iso(s.last_error_at),
        "consecutive_failures": s.consecutive_failures,
        "next_due_at": iso(s.next_due_at),
        "retry_after_until": iso(s.retry_after_until),
        "last_run_status": s.last_run_status,
        "last_run_note": s.last_run_note,
    }


def _health(s: SourceHealth) -> str:
    if not s.enabled:
        return "disabled"
    if s.last_attempt_at is None:
        return "new"
    if s.consecutive_failures:
        return f"[red]failing[/red] ({s.last_status or '-'})"
    if s.last_run_status == "partial":
        return f"[yellow]partial[/yellow]: {s.last_run_note or 'see the last crawl run'}"
    return "[green]ok[/green]"


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def sources_status_cmd(app: AppContext, as_json: bool) -> None:
    """Per-source health: last success, last error, consecutive failures, next due; a source
    whose last run fell short (article pages failed or cut off, entries not stored) is partial."""
    now = datetime.now(UTC)
    with app.db.session() as session:
        rows = source_health(session)
    if as_json:
        click.echo(json.dumps([_state_dict(s) for s in rows], ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} source(s)")
    for col in ("name", "health", "last success", "failures", "next due", "last error"):
        table.add_column(col, overflow="fold")
    for s in rows:
        error = ""
        if s.last_error:
            error = f"{s.last_error[:120]} ({_ago(s.last_error_at, now)})"
        due = s.next_due_at
        table.add_row(
            s.name,
            _health(s),
            _ago(s.last_success_at, now),
            str(s.consecutive_failures),
            "now" if due is None or due <= now else _ago(due, now),
            error,
        )
    app.console.print(table)
