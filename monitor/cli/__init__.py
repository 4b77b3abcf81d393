"""The ``monitor`` command line: a thin layer over the library.

Each command group lives in its own module and is registered in :data:`COMMANDS`; a module is only
imported when its command runs, so ``monitor --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from monitor import __version__
from monitor.cli.context import AppContext
from monitor.errors import MonitorError

# command name → (module, attribute, short help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": (
        "monitor.cli.setup",
        "init_cmd",
        "Create the data directory and archive; import sources.",
    ),
    "config": ("monitor.cli.setup", "config_group", "Validate and show the configuration."),
    "db": ("monitor.cli.setup", "db_group", "Database migrations."),
    "dedup": (
        "monitor.cli.stories",
        "dedup_group",
        "Rebuild stories and the near-duplicate index.",
    ),
    "stories": ("monitor.cli.stories", "stories_group", "List, show and split stories."),
    "crawl": (
        "monitor.cli.crawl",
        "crawl_cmd",
        "Fetch new reporting from the sources (live progress).",
    ),
    "digest": (
        "monitor.cli.digest",
        "digest_cmd",
        "Build digests of new stories: --preview, --dry-run or --send.",
    ),
    "digests": ("monitor.cli.digest", "digests_group", "List and show past digests."),
    "alerts": (
        "monitor.cli.alerts",
        "alerts_group",
        "Alerts when a story breaks or a saved search finds a new story.",
    ),
    "searches": (
        "monitor.cli.alerts",
        "searches_group",
        "Saved searches: Atom feeds and subscriptions.",
    ),
    "demo": (
        "monitor.cli.demo",
        "demo_cmd",
        "Crawl the bundled demo site offline; write a digest page and .eml.",
    ),
    "explain": ("monitor.cli.relevance", "explain_cmd", "Show why an item was kept or dropped."),
    "label": (
        "monitor.cli.feedback",
        "label_group",
        "Reviewer labels: relevant or not, same story or not.",
    ),
    "eval": (
        "monitor.cli.feedback",
        "eval_cmd",
        "Precision and recall of the topic per language against the labels.",
    ),
    "rescore": (
        "monitor.cli.relevance",
        "rescore_cmd",
        "Judge the archive again after a topic change (--dry-run lists changes).",
    ),
    "search": (
        "monitor.cli.archive",
        "search_cmd",
        "Search the archive (query language, filters).",
    ),
    "show": ("monitor.cli.archive", "show_cmd", "Show one archived item and why it is relevant."),
    "export": ("monitor.cli.archive", "export_cmd", "Export items as CSV, JSON Lines or Atom."),
    "serve": (
        "monitor.cli.archive",
        "serve_cmd",
        "Serve the archive web app (search, stories, feeds).",
    ),
    "sources": (
        "monitor.cli.sources",
        "sources_group",
        "List, add, remove, import and export sources.",
    ),
    "run": ("monitor.cli.run", "run_cmd", "Run the scheduler daemon (crawls, digests, upkeep)."),
    "worker": (
        "monitor.cli.worker",
        "worker_cmd",
        "Crawl sources from the shared frontier (queue.url): scale out.",
    ),
    "status": ("monitor.cli.run", "status_cmd", "Next runs, last results, source health, digests."),
    "upkeep": (
        "monitor.cli.run",
        "upkeep_cmd",
        "Retention, database optimise and index upkeep, once.",
    ),
}


EXAMPLES = """\b
Examples:
  monitor demo                          the whole pipeline on the bundled demo site, offline
  monitor init                          data directory, archive, sources from sources.yaml
  monitor crawl --source "TASS (en)"    one crawl of one source, with live progress
  monitor sources add https://example.org/   find a site's feed and add it
  monitor digest --preview              this period's digest page, written to the outbox
  monitor search 'iran "rail corridor"' --language en --from 2025-05-01
  monitor explain 1234                  why item 1234 was kept or dropped
  monitor config show                   every setting and where its value came from
  monitor run                           the daemon: crawls, digests and upkeep on schedule

\b
Exit status: 0 ok, 1 the work failed, 2 malformed input, 3 no such item/source/…,
4 invalid configuration, 5 archive unavailable (see README "Exit codes").
"""


class CommandFailed(click.ClickException):
    """A :class:`MonitorError` on its way out: one line on stderr, its class's exit code."""

    def __init__(self, error: MonitorError) -> None:
        super().__init__(str(error))
        setattr(self, "exit_code", int(error.exit_code))  # noqa: B010 (a ClassVar in click)

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class LazyGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            raise CommandFailed(exc) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(spec[0])
        cmd = getattr(module, spec[1])
        assert isinstance(cmd, click.Command)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES
)
@click.option(
    "--config",
    "config_dir",
    type=click.Path(file_okay=False),
    envvar="MONITOR_CONFIG_DIR",
    help="Config directory (default: ./config if it has monitor.yaml, else the shipped defaults).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", help="Log line format."
)
@click.version_option(__version__, prog_name="monitor")
@click.pass_context
def cli(ctx: click.Context, config_dir: str | None, verbose: int, log_format: str) -> None:
    """Iran–Russia news monitor: collect, judge, fold duplicates, archive and send digests."""
    from monitor.logging_setup import configure_logging

    configure_logging(verbose, log_format)
    ctx.obj = AppContext(config_dir=config_dir)


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="monitor", standalone_mode=True)
    except MonitorError as exc:  # raised outside a command (the group handles those)
        click.echo(f"error: {exc}", err=True)
        sys.exit(int(exc.exit_code))
