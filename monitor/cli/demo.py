"""``monitor demo``: crawl the bundled demo news site and write a digest page and email."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.context import AppContext, pass_app


@click.command("demo")
@click.option(
    "--dir",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/demo"),
    show_default=True,
    help="The demo's own folder: config, archive.",
)
@click.option(
    "--outbox",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("outbox"),
    show_default=True,
    help="Where the digest page and .eml go.",
)
@click.option(
    "--keep-serving", is_flag=True, help="Keep the demo site up afterwards (Ctrl-C ends)."
)
@click.option("--serve", is_flag=True, help="Then open the web app on the demo archive.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8750, show_default=True, help="For --serve."
)
@pass_app
def demo_cmd(
    app: AppContext, work_dir: Path, outbox: Path, keep_serving: bool, serve: bool, port: int
) -> None:
    """Start the demo news site on loopback, crawl it into a fresh SQLite archive in its own
    folder, write the digest page and .eml to the outbox and record the digest, then print the
    command that browses it (or, with --serve, serve it). Works offline; never uses the archive
    or settings named by MONITOR_* variables."""
    from monitor.demo import DemoResult, ServeOptions, browse_command, run_demo, settings_variables

    def report(result: DemoResult) -> None:
        crawl = result.crawl
        app.console.print(
            f"crawled {crawl.get('sources_total', '?')} sources: "
            f"{crawl.get('new_items', '?')} new items, {crawl.get('relevant_items', '?')} relevant, "
            f"{crawl.get('copies_folded', '?')} copies folded, {crawl.get('errors', '?')} errors",
            markup=False,
        )
        app.console.print(f"archive:     {result.archive}", markup=False, highlight=False)
        app.console.print(f"digest page: {result.page.resolve()}", markup=False, highlight=False)
        app.console.print(f"digest email: {result.eml.resolve()}", markup=False, highlight=False)
        ignored = settings_variables()
        if ignored:
            app.console.print(
                f"ignored (the demo keeps to its own folder): {', '.join(ignored)}",
                markup=False,
                highlight=False,
            )
        if not serve:
            app.console.print(
                f"browse it:   {browse_command(result.config_dir)}", markup=False, highlight=False
            )
            app.console.print("             or run: monitor demo --serve", markup=False)

    run_demo(
        work_dir,
        outbox,
        say=lambda m: app.console.print(m, markup=False, highlight=False),
        keep_serving=keep_serving,
        serve=ServeOptions(port=port) if serve else None,
        on_ready=report,
    )
