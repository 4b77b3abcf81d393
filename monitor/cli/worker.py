"""``monitor worker``: crawl the sources the shared frontier hands out (``queue.url``)."""

from __future__ import annotations

import click

from monitor.cli.context import AppContext, pass_app
from monitor.logging_setup import log_as_service


@click.command("worker")
@click.option(
    "--exit-when-idle-s",
    type=float,
    default=None,
    hidden=True,
    help="Stop after this long with nothing to crawl (tests, benchmarks).",
)
@click.option("--block-s", type=float, default=5.0, hidden=True, help="Frontier read wait.")
@click.option("--kill-grace-s", type=float, default=10.0, hidden=True, help="SIGTERM → SIGKILL.")
@click.option(
    "--release",
    "release",
    metavar="SOURCE_ID",
    type=int,
    multiple=True,
    help="Let a set-aside source (see `monitor status`) be queued again, then exit. Repeatable.",
)
@pass_app
def worker_cmd(
    app: AppContext,
    exit_when_idle_s: float | None,
    block_s: float,
    kill_grace_s: float,
    release: tuple[int, ...],
) -> None:
    """Crawl due sources taken from the shared frontier, until SIGTERM or Ctrl-C.

    Needs queue.url (Redis) and a PostgreSQL archive; start as many as you like, on any machine.
    `monitor run` with the same queue.url schedules the sources. SIGTERM lets the running crawl
    finish (queue.drain_s) and exits 0. A source whose crawl killed the crawl process
    queue.max_deliveries times is set aside for a day; `--release ID` lets it be queued again.
    """
    from monitor.frontier import open_frontier
    from monitor.scheduler.worker import Worker, WorkerOptions, require_shared_archive
    from spiders.process import ReactorCrawls, preload

    config = app.config
    require_shared_archive(config)
    frontier = open_frontier(config.settings.queue)
    if release:
        released = frontier.release(release)
        app.console.print(
            f"Released {released} of {len(set(release))} source(s); "
            "the scheduler queues them at its next cycle."
        )
        app.close()
        return
    log_as_service()
    preload()
    worker = Worker(
        config,
        app.db,
        frontier,
        ReactorCrawls,
        WorkerOptions(
            block_s=max(block_s, 0.01),
            kill_grace_s=kill_grace_s,
            exit_when_idle_s=exit_when_idle_s,
        ),
    )
    try:
        code = worker.run()
    finally:
        app.close()
    raise SystemExit(code)
