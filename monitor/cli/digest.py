"""``monitor digest`` (build and preview/send digests) and ``monitor digests`` (past digests)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from monitor.cli.context import AppContext, pass_app
from monitor.db.read.digests import digest_detail, list_digests
from monitor.digest.service import DigestOutcome, Mode, find_recipients, run_digest
from monitor.errors import ExitCode, InputError, NotFoundError


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"digest: --now {value!r} is not an ISO time; use e.g. 2024-05-01T07:00:00+00:00"
        ) from None
    if parsed.tzinfo is None:
        raise InputError("digest: --now needs a time zone, e.g. 2024-05-01T07:00:00+00:00")
    return parsed


def _report(app: AppContext, out: DigestOutcome) -> None:
    who = out.recipient
    if out.recovered:
        ids = ", ".join(str(i) for i in out.recovered)
        app.console.print(
            f"{who}: unfinished digest(s) {ids} had been accepted by the server; recorded as sent"
        )
    if out.resumed:
        ids = ", ".join(str(i) for i in out.resumed)
        app.console.print(f"{who}: resent unfinished digest(s) {ids}")
    for c in out.channels:
        line = f"{who}: {c.target}: {c.status}" + (f" ({c.error})" if c.error else "")
        app.console.print(line, markup=False)
    if out.status == "empty":
        app.console.print(f"{who}: nothing new; no digest (skip_empty)")
        return
    counts = f"{out.story_count} stories, {out.item_count} reports"
    if out.mode == "preview":
        app.console.print(f"{who}: {counts}")
        click.echo(str(out.html_path))
    elif out.mode == "dry_run":
        app.console.print(f"{who}: {counts}; subject: {out.subject}", markup=False)
        click.echo(str(out.eml_path))
    elif out.status == "sent":
        app.console.print(
            f"{who}: digest {out.digest_id} sent ({counts}, {out.attempts} attempt(s))"
        )
    else:
        app.err_console.print(
            f"{who}: digest {out.digest_id} {out.status}: {out.error}", markup=False
        )


@click.command("digest")
@click.option("--recipient", "-r", "name", help="Recipient name (default: every recipient).")
@click.option(
    "--preview", "mode", flag_value="preview", help="Write the HTML page; print its path."
)
@click.option("--dry-run", "mode", flag_value="dry_run", help="Write a .eml file to the outbox.")
@click.option("--send", "mode", flag_value="send", help="Send by SMTP and mark items delivered.")
@click.option("--now", "now_text", help="Period end (ISO time with zone; default: now).")
@click.option(
    "--outbox",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where --preview/--dry-run write (default: outbox_dir).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per recipient.")
@pass_app
def digest_cmd(
    app: AppContext,
    name: str | None,
    mode: Mode | None,
    now_text: str | None,
    outbox: Path | None,
    as_json: bool,
) -> None:
    """Build each recipient's digest of new stories: --preview, --dry-run or --send.

    Exit status 1 when a digest could not be delivered (its items stay pending).
    """
    if mode is None:
        raise click.UsageError("choose one of --preview, --dry-run or --send")
    now = _parse_now(now_text)
    failed = False
    for rcpt in find_recipients(app.config, name, app.db):
        out = run_digest(app.config, app.db, rcpt, mode, now, outbox=outbox)
        failed = failed or not out.ok
        if as_json:
            record = {k: str(v) if isinstance(v, Path) else v for k, v in vars(out).items()}
            record["resumed"] = list(out.resumed)
            record["recovered"] = list(out.recovered)
            record["channels"] = [asdict(c) for c in out.channels]
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            _report(app, out)
    if failed:
        sys.exit(ExitCode.FAILED)


@click.group("digests")
def digests_group() -> None:
    """Past digests: what went to whom, when, and how delivery went."""


@digests_group.command("list")
@click.option("--recipient", "-r", "name", help="Only this recipient.")
@click.option(
    "--status",
    type=click.Choice(["rendered", "sending", "sent", "failed", "preview"]),
    help="Only this status.",
)
@click.option("--limit", type=int, default=30, show_default=True)
@pass_app
def list_cmd(app: AppContext, name: str | None, status: str | None, limit: int) -> None:
    """Newest digests first."""
    with app.db.session() as session:
        rows = list_digests(session, recipient=name, status=status, limit=limit)
    table = Table(title=f"{len(rows)} digest(s)")
    for col in ("id", "recipient", "status", "created", "sent", "stories", "reports", "subject"):
        table.add_column(col, overflow="fold")
    for d in rows:
        table.add_row(
            str(d.id),
            d.recipient,
            d.status,
            f"{d.created_at:%Y-%m-%d %H:%M}",
            f"{d.sent_at:%Y-%m-%d %H:%M}" if d.sent_at else "",
            str(d.story_count),
            str(d.item_count),
            d.subject,
        )
    app.console.print(table)


@digests_group.command("show")
@click.argument("digest_id", type=int)
@pass_app
def show_cmd(app: AppContext, digest_id: int) -> None:
    """One digest: period, counts, files, items and every delivery attempt."""
    with app.db.session() as session:
        detail = digest_detail(session, digest_id)
    if detail is None:
        raise NotFoundError(f"digests: no digest {digest_id}; see 'monitor digests list'")
    d = detail.digest
    lines = [
        f"digest {d.id} for {d.recipient} <{d.address}>: {d.status}",
        f"subject:    {d.subject}",
        f"message-id: {d.message_id}",
        f"period:     {d.period_start:%Y-%m-%d %H:%M} – {d.period_end:%Y-%m-%d %H:%M} UTC"
        if d.period_start
        else f"period:     until {d.period_end:%Y-%m-%d %H:%M} UTC",
        f"created:    {d.created_at:%Y-%m-%d %H:%M:%S} UTC",
        f"sent:       {d.sent_at:%Y-%m-%d %H:%M:%S} UTC" if d.sent_at else "sent:       no",
        f"stories:    {d.story_count}, reports: {d.item_count}, attempts: {d.attempts}",
        f"page:       {d.html_path or '-'}",
        f"message:    {d.eml_path or '-'}",
    ]
    if d.last_error:
        lines.append(f"last error: {d.last_error}")
    lines.append(f"items ({len(detail.items)}):")
    lines += [f"  {i.id:>7}  {i.source}: {i.title}  <{i.url}>" for i in detail.items]
    deliveries = detail.deliveries
    lines.append(f"delivery attempts ({len(deliveries)}):")
    lines += [
        f"  {x.attempted_at:%Y-%m-%d %H:%M:%S}  {x.outcome:<9} {x.smtp_code or '':>3}  {x.message}"
        for x in deliveries
    ]
    for line in lines:
        click.echo(line)
