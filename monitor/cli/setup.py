"""``monitor init``, ``monitor config check|show`` and ``monitor db upgrade|current``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
import yaml

from monitor.cli.context import AppContext, pass_app
from monitor.config import AppConfig, load_config
from monitor.db.engine import Database, current_revision, head_revision, upgrade
from monitor.db.sources import count_sources, seed_sources_if_empty
from monitor.errors import ConfigError, MonitorError
from monitor.paths import shipped_config_dir
from monitor.relevance.topic import load_topic


def check_everything(cfg: AppConfig) -> list[str]:
    """Validate the parts that are loaded lazily (the topic file); returns summary lines."""
    lines = [
        f"config directory: {cfg.config_dir}",
        f"monitor.yaml: ok ({len(cfg.settings.recipients)} recipient(s))",
        f"sources.yaml: ok ({len(cfg.sources)} source(s), "
        f"{sum(1 for s in cfg.sources if s.enabled)} enabled)",
    ]
    load_topic(cfg.topic_path)
    lines.append(f"topic: ok ({cfg.topic_path})")
    return lines


@click.command("init")
@click.option(
    "--write-config",
    type=click.Path(file_okay=False),
    default=None,
    help="Also copy the shipped config files into this directory, to edit them.",
)
@pass_app
def init_cmd(app: AppContext, write_config: str | None) -> None:
    """Create the data directory and the archive, and import the configured sources."""
    if write_config:
        dest = Path(write_config)
        dest.mkdir(parents=True, exist_ok=True)
        copied = []
        for path in sorted(shipped_config_dir().rglob("*.yaml")):
            target = dest / path.relative_to(shipped_config_dir())
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            copied.append(str(target))
        app.console.print(f"wrote {len(copied)} config file(s) to {dest} (existing files kept)")
        app.config_dir = str(dest)
    cfg = app.config
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    cfg.outbox_dir.mkdir(parents=True, exist_ok=True)
    db = Database.open(cfg.database_url)
    with db.session() as session:
        added = seed_sources_if_empty(session, cfg.sources)
        total = count_sources(session)
    db.close()
    app.console.print(f"archive: {cfg.database_url}")
    app.console.print(f"sources: {total} ({added} imported now)")
    app.console.print(f"data: {cfg.data_dir.resolve()}  outbox: {cfg.outbox_dir.resolve()}")


@click.group("config")
def config_group() -> None:
    """Validate and show the configuration."""


@config_group.command("check")
@pass_app
def config_check(app: AppContext) -> None:
    """Validate monitor.yaml, sources.yaml and the topic file; exit 1 on any problem."""
    try:
        cfg = load_config(app.config_dir)
        lines = check_everything(cfg)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s) found; nothing was changed.", err=True)
        sys.exit(1)
    except MonitorError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for line in lines:
        click.echo(line)
    click.echo("configuration is valid")


@config_group.command("show")
@pass_app
def config_show(app: AppContext) -> None:
    """Print the effective settings (file + environment), secrets redacted."""
    data = app.config.settings.model_dump(mode="json")
    for section, key in (("smtp", "password"), ("web", "token")):
        if data[section].get(key):
            data[section][key] = "********"
    data["database_url"] = app.config.database_url
    click.echo(f"# config directory: {app.config.config_dir}")
    click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@click.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_app
def db_upgrade(app: AppContext, revision: str) -> None:
    """Apply migrations to the archive (new archives are migrated automatically)."""
    db = Database.open(app.config.database_url, migrate=False)
    before = current_revision(db.engine)
    upgrade(db.engine, revision)
    after = current_revision(db.engine)
    db.close()
    click.echo(f"database at revision {after} (was {before or 'empty'})")


@db_group.command("current")
@pass_app
def db_current(app: AppContext) -> None:
    """Show the archive's migration revision and the newest one."""
    db = Database.open(app.config.database_url, migrate=False)
    click.echo(
        f"current: {current_revision(db.engine) or 'empty'}  head: {head_revision(db.engine)}"
    )
    db.close()
