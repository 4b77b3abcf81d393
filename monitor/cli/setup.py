"""``monitor init``, ``monitor config check|show`` and ``monitor db upgrade|current``."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import yaml
from sqlalchemy.exc import SQLAlchemyError

from monitor.cli.context import AppContext, pass_app
from monitor.config import AppConfig, load_config
from monitor.db.engine import Database, current_revision, head_revision, upgrade
from monitor.db.keys import outlet_key_warning
from monitor.db.sources import count_sources, seed_sources_if_empty
from monitor.errors import ConfigError, ExitCode, MonitorError
from monitor.paths import shipped_config_dir
from monitor.relevance.topic import load_topic
from monitor.settings_sources import SECRET_KEYS


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
    outlets = cfg.outlets
    lines.append(
        f"outlets.yaml: ok ({len(outlets.names)} outlet name(s), {len(outlets.agencies)} "
        f"agenc(ies); list {outlets.fingerprint}; {cfg.outlets_path})"
    )
    return lines


def archive_warnings(cfg: AppConfig) -> list[str]:
    """What the configuration means for an existing archive (none when there is no archive)."""
    url = cfg.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return []
    try:
        db = Database.open(url, migrate=False)
    except MonitorError as exc:
        return [f"warning: archive not checked ({exc})"]
    try:
        with db.session() as session:
            warning = outlet_key_warning(session, cfg.outlets, str(cfg.outlets_path))
    except SQLAlchemyError as exc:
        return [f"warning: archive not checked ({type(exc).__name__}: {exc})"]
    finally:
        db.close()
    return [warning] if warning else []


def channel_warnings(cfg: AppConfig, env: Mapping[str, str]) -> list[str]:
    """Channels whose URL variable is unset: valid configuration, but their messages will fail."""
    return [
        f"warning: {cfg.config_dir / 'monitor.yaml'}: recipients.{i}.channels.{j}.url_env "
        f"({r.name}/{c.name}): the environment variable {c.url_env} is not set; "
        "messages to this channel fail until it holds the Apprise URL"
        for i, r in enumerate(cfg.settings.recipients)
        for j, c in enumerate(r.channels)
        if not (env.get(c.url_env) or "").strip()
    ]


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
    """Validate monitor.yaml, sources.yaml and the topic file; exit 4 on any problem."""
    try:
        cfg = load_config(app.config_dir)
        lines = check_everything(cfg)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s) found; nothing was changed.", err=True)
        sys.exit(ExitCode.CONFIG)
    except MonitorError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    for line in lines:
        click.echo(line)
    for warning in channel_warnings(cfg, os.environ) + archive_warnings(cfg):
        click.echo(warning, err=True)
    click.echo("configuration is valid")


def _effective(cfg: AppConfig) -> dict[str, Any]:
    data: dict[str, Any] = cfg.settings.model_dump(mode="json")
    for key in SECRET_KEYS:
        section, name = key.split(".")
        if data[section].get(name):
            data[section][name] = "********"
    return data


def _show_lines(data: dict[str, Any], origins: dict[str, str], prefix: str = "") -> list[str]:
    """YAML with each value's origin as a comment (``# default``, ``# FILE:LINE``, ``# env VAR``)."""
    lines: list[str] = []
    indent = "  " * prefix.count(".")
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and key not in origins:
            lines.append(f"{indent}{name}:")
            lines += _show_lines(value, origins, key + ".")
            continue
        origin = origins.get(key, "default")
        if isinstance(value, list | dict) and value:
            body = yaml.safe_dump(value, allow_unicode=True, sort_keys=False).rstrip("\n")
            lines.append(f"{indent}{name}:  # {origin}")
            lines += [f"{indent}  {line}" for line in body.splitlines()]
            continue
        text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=1000)
        text = text.removesuffix("\n...\n").removesuffix("\n")
        lines.append(f"{indent}{name}: {text}  # {origin}")
    return lines


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Values and origins as JSON.")
@pass_app
def config_show(app: AppContext, as_json: bool) -> None:
    """Print the effective settings, secrets redacted, each with where its value came from:
    default, FILE:LINE of monitor.yaml, or the environment variable (env VAR)."""
    cfg = app.config
    data = _effective(cfg)
    if as_json:
        click.echo(
            json.dumps(
                {"config_dir": str(cfg.config_dir), "settings": data, "origins": cfg.origins},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"# config directory: {cfg.config_dir}")
    if not cfg.settings.database_url:
        click.echo(f"# archive: {cfg.database_url}")
    click.echo("\n".join(_show_lines(data, cfg.origins)))


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
