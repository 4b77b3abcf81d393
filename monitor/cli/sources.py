"""``monitor sources …``: the source list in the archive."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError
from rich.table import Table

from monitor.cli.context import AppContext, pass_app
from monitor.config import SourceConfig, load_sources_file
from monitor.db import sources as store
from monitor.db.read import sources as read
from monitor.errors import InputError, MonitorError, NotFoundError
from monitor.languages import LANGUAGES
from monitor.netguard import url_refusal
from monitor.opml import OutlineFacts, Unplaced, export_opml, place_outlines, read_outlines
from monitor.urls import is_fetchable_link

if TYPE_CHECKING:
    from monitor.collect.discover import Document


@click.group("sources")
def sources_group() -> None:
    """List, add, remove, enable, disable, import and export sources."""


@sources_group.command("list")
@click.option("--enabled", "enabled_only", is_flag=True, help="Only enabled sources.")
@pass_app
def list_cmd(app: AppContext, enabled_only: bool) -> None:
    """Show every source in the archive."""
    with app.db.session() as session:
        rows = read.list_sources(session, enabled_only=enabled_only)
    table = Table(title=f"{len(rows)} source(s)")
    for col in ("name", "kind", "lang", "enabled", "every", "category", "checked", "url"):
        table.add_column(col, overflow="fold")
    for s in rows:
        table.add_row(
            s.name,
            s.kind,
            s.language,
            "yes" if s.enabled else "no",
            f"{s.poll_interval_minutes} min",
            s.category,
            "yes" if s.verified else "unverified",
            s.url,
        )
    app.console.print(table)


@sources_group.command("add")
@click.argument("url")
@click.option("--name", help="Display name (default: the feed's title or host).")
@click.option(
    "--kind", type=click.Choice(["rss", "atom", "sitemap", "listing"]), help="Skip autodiscovery."
)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    help="Default: as the feed declares it, else detected in its items.",
)
@click.option("--interval", "poll_interval_minutes", type=int, default=60, show_default=True)
@click.option("--category", default="other", show_default=True)
@click.option(
    "--fulltext/--no-fulltext", "fetch_fulltext", default=None, help="Fetch article pages."
)
@click.option("--disabled", is_flag=True, help="Add it switched off.")
@click.option(
    "--timezone",
    metavar="ZONE",
    help="IANA zone of its dates without an offset (default: from the language).",
)
@pass_app
def add_cmd(
    app: AppContext,
    url: str,
    name: str | None,
    kind: str | None,
    language: str | None,
    poll_interval_minutes: int,
    category: str,
    fetch_fulltext: bool | None,
    disabled: bool,
    timezone: str | None,
) -> None:
    """Add a source. Given a site's page instead of a feed, finds its feeds (<link rel=alternate>);
    a news sitemap is recognised as one. Without --language, the feed's declared language is
    taken, else the one its items are written in."""
    feed_url, title, how = url, None, "given"
    _refuse_known_url(app, url)
    _refuse_private_url(app, url)
    if kind is None or language is None:
        # the parsers and Scrapy load only when something is fetched
        from monitor.collect.discover import DiscoveryError
        from spiders.discover import probe_source

        try:
            probe = probe_source(url, settings=app.config.settings.crawl, follow_feeds=kind is None)
        except DiscoveryError as exc:
            if kind is None:
                raise
            raise InputError(
                f"sources: {exc}; pass --language to add it without fetching it"
            ) from None
        if kind is None:
            if probe.kind is None:
                raise NotFoundError(
                    f"sources: no feed or sitemap found at {url}; "
                    "pass --kind listing to crawl the page itself"
                )
            feed_url, kind = probe.url, probe.kind
            _refuse_private_url(app, feed_url)  # an announced feed is checked like a given URL
            for extra in probe.also:
                app.console.print(f"also found: {extra.url} ({extra.kind})")
        title = probe.title
        if language is None:
            language = probe.language.usable
            if language is None:
                raise InputError(
                    f"sources: {feed_url}: {probe.language.problem()}; "
                    f"pass --language {'|'.join(LANGUAGES)}"
                )
            how = probe.language.how
    try:
        cfg = SourceConfig(
            name=name or title or click.format_filename(feed_url.split("//", 1)[-1].split("/")[0]),
            url=feed_url,
            kind=kind,  # type: ignore[arg-type]
            language=language,  # type: ignore[arg-type]
            poll_interval_minutes=poll_interval_minutes,
            enabled=not disabled,
            fetch_fulltext=fetch_fulltext,
            category=category,
            verified=True,
            timezone=timezone,
        )
    except ValidationError as exc:
        first_err = exc.errors()[0]
        where = ".".join(map(str, first_err["loc"]))
        raise InputError(
            f"sources: {where}: {first_err['msg'].removeprefix('Value error, ')}"
        ) from None
    with app.db.session() as session:
        if read.has_source(session, cfg.name):
            raise InputError(f"sources: a source named {cfg.name!r} exists already; pass --name")
        if read.has_source_url(session, cfg.url):
            raise InputError(f"sources: {cfg.url} is already a source")
        store.add_source(session, cfg, origin="cli")
    app.console.print(f"added {cfg.name!r}: {cfg.url} ({cfg.kind}, language {cfg.language}: {how})")


def _refuse_private_url(app: AppContext, url: str) -> None:
    """A URL on a loopback, private or link-local address (or not http/https) is refused unless
    ``crawl.allow_networks`` allows its network (the crawl checks every fetch again)."""
    line = url_refusal(url, app.config.settings.crawl.allowed_networks)
    if line is not None:
        raise InputError(f"sources: {line}")


def _refused_outlines(app: AppContext, urls: list[str]) -> dict[str, str]:
    """URL → the refusal line, for the outline URLs the network guard refuses."""
    allow = app.config.settings.crawl.allowed_networks
    with ThreadPoolExecutor(max_workers=8) as pool:  # a DNS lookup each
        lines = list(pool.map(lambda url: url_refusal(url, allow), urls))
    return {url: line for url, line in zip(urls, lines, strict=True) if line is not None}


def _refuse_known_url(app: AppContext, url: str) -> None:
    with app.db.session() as session:
        if read.has_source_url(session, url):
            raise InputError(f"sources: {url} is already a source")


@sources_group.command("remove")
@click.argument("name")
@click.option("--purge", is_flag=True, help="Also delete the items collected from it.")
@pass_app
def remove_cmd(app: AppContext, name: str, purge: bool) -> None:
    """Remove a source. One with collected items needs --purge (or use `disable`)."""
    with app.db.session() as session:
        n_items = read.source_item_count(session, name)
        if n_items is None:
            raise NotFoundError(f"sources: no source named {name!r} (see `monitor sources list`)")
        if n_items and not purge:
            raise InputError(
                f"sources: {name!r} has {n_items} archived item(s); `monitor sources disable` "
                "keeps them, --purge deletes them"
            )
        store.remove_source(session, name)
    app.console.print(f"removed {name!r}" + (f" and {n_items} item(s)" if n_items else ""))


def _toggle(app: AppContext, names: tuple[str, ...], enabled: bool) -> None:
    with app.db.session() as session:
        missing = [n for n in names if not store.set_enabled(session, n, enabled)]
        if missing:
            session.rollback()
            raise NotFoundError(
                f"sources: no source named {', '.join(map(repr, missing))}; nothing changed"
            )
    app.console.print(f"{'enabled' if enabled else 'disabled'}: {', '.join(names)}")


@sources_group.command("enable")
@click.argument("names", nargs=-1, required=True)
@pass_app
def enable_cmd(app: AppContext, names: tuple[str, ...]) -> None:
    """Switch sources on."""
    _toggle(app, names, True)


@sources_group.command("disable")
@click.argument("names", nargs=-1, required=True)
@pass_app
def disable_cmd(app: AppContext, names: tuple[str, ...]) -> None:
    """Switch sources off (their items stay in the archive)."""
    _toggle(app, names, False)


def _report_merge(app: AppContext, result: store.MergeResult) -> None:
    app.console.print(
        f"added {len(result.added)}, updated {len(result.updated)}, unchanged {len(result.unchanged)}"
    )


@sources_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False), required=False)
@pass_app
def import_cmd(app: AppContext, file: str | None) -> None:
    """Merge a sources.yaml (default: the config directory's) into the archive, by name."""
    path = Path(file) if file else app.config.config_dir / "sources.yaml"
    configs = load_sources_file(path)
    with app.db.session() as session:
        result = store.merge_sources(session, configs, origin="config")
    _report_merge(app, result)


@sources_group.command("import-opml")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    help="For outlines without one (default: each feed's own, fetched).",
)
@pass_app
def import_opml_cmd(app: AppContext, file: Any, language: str | None) -> None:
    """Merge an OPML subscription list into the archive (matched by name). Outlines without a
    language get their feed's (fetched: declared, else detected in its items); an outline that
    cannot become a source is listed, the others are imported."""
    every = read_outlines(file.read())
    refused = _refused_outlines(app, [o.url for o in every if is_fetchable_link(o.url)])
    outlines = [o for o in every if o.url not in refused]
    found: dict[str, OutlineFacts] = {}
    unknown = [o.url for o in outlines if not o.language and is_fetchable_link(o.url)]
    if language is None and unknown:
        from spiders.discover import probe_feeds  # Scrapy loads only when feeds are fetched

        app.err_console.print(f"fetching {len(unknown)} feed(s) to find their language …")
        documents = probe_feeds(unknown, settings=app.config.settings.crawl)
        found = {url: _outline_facts(doc) for url, doc in documents.items()}
    result = place_outlines(outlines, default_language=language, found=found)
    with app.db.session() as session:
        merged = store.merge_sources(session, result.sources, origin="opml")
    _report_merge(app, merged)
    unplaced = [Unplaced(o, refused[o.url]) for o in every if o.url in refused] + result.unplaced
    for problem in unplaced:
        click.echo(f"not imported: {problem}", err=True)
    if unplaced:
        raise MonitorError(
            f"opml: {len(unplaced)} of {len(every)} outline(s) not imported "
            "(listed above); the others were"
        )


def _outline_facts(document: Document | str) -> OutlineFacts:
    """What a fetched outline URL told (see :func:`spiders.discover.probe_feeds`)."""
    if isinstance(document, str):
        return OutlineFacts(
            problem=f"could not fetch it to find its language ({document}); pass --language"
        )
    if document.kind is None:
        return OutlineFacts(problem="it is a web page, not a feed or a sitemap")
    language = document.language.usable
    if language is None:
        return OutlineFacts(kind=document.kind, problem=document.language.problem())
    return OutlineFacts(language=language, kind=document.kind)


@sources_group.command("export-opml")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
@pass_app
def export_opml_cmd(app: AppContext, file: Any) -> None:
    """Write every source as OPML 2.0 (to FILE or standard output)."""
    with app.db.session() as session:
        configs = read.list_sources(session)
    file.write(export_opml(configs))


def _attach_status() -> None:
    from monitor.cli.crawl import sources_status_cmd

    sources_group.add_command(sources_status_cmd, "status")


_attach_status()
