"""``monitor run`` (the scheduler daemon), ``monitor status`` and ``monitor upkeep``."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor.cli.context import AppContext, pass_app
from monitor.errors import ExitCode
from monitor.logging_setup import log_as_service

if TYPE_CHECKING:
    from monitor.scheduler.status import FrontierStatus


def _root_params() -> dict[str, object]:
    ctx = click.get_current_context().find_root()
    return dict(ctx.params)


def _fmt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


@click.command("run")
@click.option("--tick-s", type=float, default=30.0, hidden=True, help="Main loop period (tests).")
@click.option(
    "--crawl-every-s", type=float, default=None, hidden=True, help="Crawl interval (tests)."
)
@click.option("--kill-grace-s", type=float, default=10.0, hidden=True, help="SIGTERM → SIGKILL.")
@click.option("--stop-wait-s", type=float, default=30.0, hidden=True, help="Shutdown wait.")
@click.option("--clock-offset-s", type=float, default=0.0, hidden=True, help="Shift 'now' (tests).")
@pass_app
def run_cmd(
    app: AppContext,
    tick_s: float,
    crawl_every_s: float | None,
    kill_grace_s: float,
    stop_wait_s: float,
    clock_offset_s: float,
) -> None:
    """Run the scheduler: crawls, digests and upkeep on time, until SIGTERM or Ctrl-C.

    SIGHUP (or an edited monitor.yaml) reloads the configuration. See `monitor status`.
    With queue.url the due sources go to the shared frontier for `monitor worker` processes, and
    only one `monitor run` leads: the others wait as standbys and take over when it dies.
    """
    from monitor.scheduler.daemon import Daemon, options_with_child_args
    from monitor.scheduler.jobs import RunOptions

    log_as_service()  # a daemon logs its job starts and ends by default
    params = _root_params()
    if int(str(params.get("verbose") or 0)) < 2:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # its per-run lines are noise
    options = options_with_child_args(
        RunOptions(
            crawl_every_s=crawl_every_s,
            tick_s=max(tick_s, 0.05),
            kill_grace_s=kill_grace_s,
            stop_wait_s=stop_wait_s,
            clock_offset_s=clock_offset_s,
        ),
        str(params.get("log_format") or "text"),
        int(str(params.get("verbose") or 0)),
    )
    config = app.config
    if config.settings.queue.enabled:
        from monitor.scheduler.worker import require_shared_archive

        require_shared_archive(config)
    daemon = Daemon(config, app.db, options)
    try:
        code = daemon.run()
    finally:
        app.close()
    raise SystemExit(code)


@click.command("upkeep")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def upkeep_cmd(app: AppContext, as_json: bool) -> None:
    """Run upkeep once: retention, database optimise/vacuum, full-text index maintenance."""
    from monitor.scheduler.upkeep import run_upkeep

    report = run_upkeep(app.config, app.db, datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(report.as_dict(), sort_keys=True))
        return
    app.console.print(
        f"Deleted {report.deleted_items} old irrelevant items, pruned {report.pruned_job_runs} job"
        f" runs; FTS optimised: {'yes' if report.fts_optimized else 'no'}; vacuum: {report.vacuum};"
        f" {report.duration_s:.1f}s."
    )
    for note in report.notes:
        app.console.print(f"note: {note}")


def _print_frontier(out: Console, frontier: FrontierStatus) -> None:
    if frontier.error:
        out.print(f"Frontier: not reachable ({escape(frontier.error)})")
        return
    out.print(
        f"Frontier: {frontier.waiting} source(s) waiting, {frontier.in_flight} being crawled, "
        f"{frontier.workers} worker(s) registered"
    )
    if frontier.set_aside:
        table = Table(
            "source id", "source", "attempts", "set aside", "until", title="Set aside (crash)"
        )
        for a in frontier.set_aside:
            table.add_row(
                str(a["source_id"]),
                escape(a["name"]),
                str(a["deliveries"]),
                _fmt(a["at"]),
                _fmt(a["until"]),
            )
        out.print(table)
        out.print(
            "Their crawl process died at every attempt: see the workers' logs, fix or disable "
            "the source, then `monitor worker --release SOURCE_ID`."
        )


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option(
    "--check",
    is_flag=True,
    help="Health check: one line, exit 0 when the scheduler runs, 1 when it does not.",
)
@pass_app
def status_cmd(app: AppContext, as_json: bool, check: bool) -> None:
    """Show the scheduler: next runs, last results, source health, pending digests."""
    from monitor.scheduler.status import collect_status

    status = collect_status(app.config, app.db, datetime.now(UTC))
    if check:
        if status.daemon is None:
            click.echo("unhealthy: the scheduler (monitor run) is not running", err=True)
            raise SystemExit(ExitCode.FAILED)
        click.echo(f"ok: scheduler running (pid {status.daemon['pid']} on {status.daemon['host']})")
        return
    if as_json:
        click.echo(json.dumps(status.as_dict(), sort_keys=True, ensure_ascii=False))
        return
    out = app.console
    if status.daemon:
        out.print(
            f"Scheduler: running (pid {status.daemon['pid']} on {status.daemon['host']},"
            f" since {_fmt(status.daemon['since'])})"
        )
    else:
        out.print("Scheduler: not running (start it with `monitor run`)")
    table = Table("job", "schedule", "next run", "last result", "last started", title="Jobs")
    for job in status.jobs:
        last = job.last_status or "never"
        exit_code = job.last_detail.get("exit_code")
        if exit_code not in (None, 0):
            last += f" (exit {exit_code})"
        message = job.last_detail.get("message")
        if message:
            last += f": {message}"
        table.add_row(job.job_id, job.schedule, _fmt(job.next_run), last, _fmt(job.last_started_at))
    out.print(table)
    if status.frontier is not None:
        _print_frontier(out, status.frontier)
    s = status.sources
    out.print(
        f"Sources: {s['enabled']} enabled ({s['ok']} ok, {s['failing']} failing, "
        f"{s['backing_off']} backing off, {s['never_fetched']} never fetched), {s['disabled']} disabled"
    )
    if status.recipients:
        rt = Table(
            "recipient",
            "next digest",
            "last delivered",
            "unsent items",
            "unfinished",
            title="Digests",
        )
        for r in status.recipients:
            rt.add_row(
                escape(r.name),
                _fmt(r.next_due),
                _fmt(r.last_delivered_at),
                str(r.unsent_relevant_items),
                str(r.unfinished_digests),
            )
        out.print(rt)
    else:
        out.print(
            "Digests: no recipients configured (add them under `recipients:` in monitor.yaml)"
        )
