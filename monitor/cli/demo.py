"""``monitor demo``: crawl the bundled demo news site and write a digest page and email."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.context import AppContext, pass_app


@click.command("demo")
@click.option("--outbox", type=click.Path(file_okay=False), help="Default: outbox_dir (./outbox).")
@click.option(
    "--keep-serving", is_flag=True, help="Keep the demo site up afterwards (Ctrl-C ends)."
)
@pass_app
def demo_cmd(app: AppContext, outbox: str | None, keep_serving: bool) -> None:
    """Start the demo news site on loopback, crawl it into a fresh SQLite archive, write the
    digest page and .eml to the outbox and print their paths. Works offline."""
    from monitor.demo import run_demo

    cfg = app.config
    out = Path(outbox) if outbox else cfg.outbox_dir
    result = run_demo(
        cfg.data_dir / "demo", out, say=lambda m: app.console.print(m), keep_serving=keep_serving
    )
    crawl = result.crawl
    app.console.print(
        f"crawled {crawl.get('sources_total', '?')} sources: {crawl.get('new_items', '?')} new items, "
        f"{crawl.get('relevant_items', '?')} relevant, {crawl.get('copies_folded', '?')} copies folded, "
        f"{crawl.get('errors', '?')} errors"
    )
    app.console.print(f"archive:     {result.archive}")
    app.console.print(f"digest page: {result.page.resolve()}")
    if result.index:
        app.console.print(f"digest index: {result.index.resolve()}")
    app.console.print(f"digest email: {result.eml.resolve()}")
