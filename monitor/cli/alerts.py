"""``monitor alerts run | list`` and ``monitor searches add | list | unsubscribe | remove``."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click
from rich.markup import escape
from rich.table import Table

from monitor.alerts.service import run_alerts
from monitor.cli.context import AppContext, pass_app
from monitor.cli.digest import _parse_now
from monitor.config import RecipientConfig
from monitor.db import saved_searches as q
from monitor.db.alerts import list_alerts
from monitor.errors import ExitCode, InputError, NotFoundError
from monitor.query import parse_query
from monitor.search.export import saved_feed_path


@click.group("alerts")
def alerts_group() -> None:
    """Alerts sent right away when a story breaks or a saved search finds a new story."""


@alerts_group.command("run")
@click.option("--now", "now_text", help="The check's time (ISO time with zone; default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@pass_app
def run_cmd(app: AppContext, now_text: str | None, as_json: bool) -> None:
    """Find breaking stories and new matches, store the alerts, send what is due.

    The scheduler runs this after every crawl. Exit status 1 when an alert could not be
    delivered to every target (a pending one is tried again next time).
    """
    out = run_alerts(app.config, app.db, _parse_now(now_text))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "created": len(out.created),
                    "delivered": len(out.delivered),
                    "sent": sum(a.status == "sent" for a in out.delivered),
                    "alerts": [asdict(a) for a in out.delivered],
                    "new": [asdict(a) for a in out.created],
                },
                ensure_ascii=False,
                default=str,
            )
        )
    else:
        held = sum(a.status == "held" for a in out.created)
        app.console.print(
            f"{len(out.created)} new alert(s) ({held} held for quiet hours); "
            f"{len(out.delivered)} sent or tried."
        )
        for a in out.delivered:
            targets = ", ".join(
                f"{t.target} {t.status}" + (f" ({t.error})" if t.error else "") for t in a.targets
            )
            click.echo(
                f"  alert {a.alert_id} to {a.recipient}: {a.status}: {a.subject}  [{targets}]"
            )
    if not out.ok:
        sys.exit(ExitCode.FAILED)


@alerts_group.command("list")
@click.option("--recipient", "-r", "name", help="Only this recipient.")
@click.option("--limit", type=int, default=30, show_default=True)
@pass_app
def list_cmd(app: AppContext, name: str | None, limit: int) -> None:
    """Past alerts, newest first."""
    with app.db.session() as s:
        rows = list_alerts(s, recipient=name, limit=limit)
    table = Table(title="Alerts")
    for col in (
        "ID",
        "Created (UTC)",
        "Recipient",
        "Kind",
        "Story",
        "Outlets",
        "Status",
        "Subject",
    ):
        table.add_column(col)
    for a in rows:
        table.add_row(
            str(a.id),
            a.created_at.strftime("%Y-%m-%d %H:%M"),
            escape(a.recipient),
            a.kind,
            str(a.story_id or ""),
            str(a.outlets),
            a.status,
            escape(a.subject),
        )
    app.console.print(table)


# --------------------------------------------------------------------------- saved searches


@click.group("searches")
def searches_group() -> None:
    """Saved searches: each has an Atom feed and may be subscribed to (digest or immediate)."""


@searches_group.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--theme", "themes", multiple=True, help="Only items with this theme (repeat).")
@click.option("--language", "languages", multiple=True, help="Only this language (repeat).")
@click.option("--email", "address", help="Subscribe this address.")
@click.option(
    "--mode",
    type=click.Choice(["none", "digest", "immediate"]),
    default=None,
    help="digest: its own digest on --schedule; immediate: an alert per new story "
    "(default: digest with --email, else none).",
)
@click.option("--schedule", default="daily 07:00", show_default=True, help="Digest schedule.")
@click.option("--timezone", default="UTC", show_default=True, help="Times in messages.")
@click.option("--reviewer", default="cli", show_default=True, help="Recorded as its creator.")
@pass_app
def add_cmd(
    app: AppContext,
    name: str,
    query: str,
    themes: tuple[str, ...],
    languages: tuple[str, ...],
    address: str | None,
    mode: str | None,
    schedule: str,
    timezone: str,
    reviewer: str,
) -> None:
    """Save QUERY as NAME (replacing a search of that name; its feed URL stays)."""
    parse_query(query)
    mode = mode or ("digest" if address else "none")
    if mode != "none" and not address:
        raise InputError("searches: a subscription needs --email ADDRESS")
    try:  # the same checks as a configured recipient (address, schedule, time zone)
        RecipientConfig(
            name=name, address=address or "x@example.org", schedule=schedule, timezone=timezone
        )
    except ValueError as exc:
        raise InputError(f"searches: {exc}") from None
    with app.db.session() as s:
        row = q.save_search(
            s,
            name=name,
            query=query,
            filters={"themes": list(themes), "languages": list(languages)},
            created_by=reviewer,
            mode=mode,
            address=address,
            schedule=schedule,
            timezone=timezone,
        )
        token = row.feed_token
    click.echo(f"Saved search {name!r} ({mode}). Its feed: {_feed_url(app, token)}")
    if mode != "none":
        click.echo(f"Delivered as the recipient 'search:{name}'.")


def _feed_url(app: AppContext, token: str) -> str:
    """The feed's address in the web app (a path when ``web.public_url`` is not set)."""
    base = app.config.settings.web.public_url or ""
    return base + saved_feed_path(token)


@searches_group.command("list")
@pass_app
def searches_list_cmd(app: AppContext) -> None:
    """Saved searches with their subscription and feed path."""
    with app.db.session() as s:
        rows = [
            (r.id, r.name, r.query, r.mode, r.address or "", r.schedule, r.feed_token)
            for r in q.list_searches(s)
        ]
    table = Table(title="Saved searches")
    for col in ("ID", "Name", "Query", "Mode", "Address", "Schedule", "Feed"):
        table.add_column(col, overflow="fold")  # wrapped, never cut: the feed URL is the point
    for rid, name, query, mode, address, schedule, token in rows:
        table.add_row(
            str(rid),
            escape(name),
            escape(query),
            mode,
            escape(address),
            schedule if mode == "digest" else "",
            escape(_feed_url(app, token)),
        )
    app.console.print(table)


@searches_group.command("unsubscribe")
@click.argument("name")
@pass_app
def unsubscribe_cmd(app: AppContext, name: str) -> None:
    """End the subscription of saved search NAME; the search and its feed stay."""
    with app.db.session() as s:
        if not q.unsubscribe_search(s, name):
            raise NotFoundError(f"searches: no saved search {name!r}")
    click.echo(f"Saved search {name!r} has no subscription now; its feed stays.")


@searches_group.command("remove")
@click.argument("name")
@pass_app
def remove_cmd(app: AppContext, name: str) -> None:
    """Delete a saved search (and its subscription and feed)."""
    with app.db.session() as s:
        if not q.delete_search(s, name):
            raise NotFoundError(f"searches: no saved search {name!r}")
    click.echo(f"Removed saved search {name!r}.")
