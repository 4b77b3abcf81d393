"""Where each setting of ``monitor.yaml`` comes from: the default, the file, or the environment.

Precedence, lowest first: the model's default, ``monitor.yaml``, environment variables.

Names: every key is ``MONITOR_`` plus its path upper-cased, with ``__`` between levels:
``database_url`` → ``MONITOR_DATABASE_URL``, ``crawl.concurrent_requests`` →
``MONITOR_CRAWL__CONCURRENT_REQUESTS``, ``smtp.password`` → ``MONITOR_SMTP__PASSWORD``. The
older single-underscore names keep working (:data:`LEGACY_NAMES`: ``MONITOR_SMTP_HOST``,
``MONITOR_SMTP_PORT``, ``MONITOR_SMTP_USERNAME``, ``MONITOR_SMTP_PASSWORD``, ``MONITOR_WEB_TOKEN``).
``crawl.allow_networks`` is also ``MONITOR_ALLOW_NETWORKS``, comma-separated (:data:`COMMA_LISTS`).

Values: as written for text, numbers and booleans (``true``/``false``); ``null`` clears an
optional value; lists and mappings (``recipients``) as JSON. An empty variable counts as unset.

Files: every variable has a ``*_FILE`` twin naming a file that holds the value (the trailing
newline is dropped), as Docker secrets and systemd credentials provide them:
``MONITOR_SMTP_PASSWORD_FILE=/run/secrets/smtp_password``. Setting a variable and its twin, or
two names of one key, to different values is an error.

Secrets (``smtp.password``, ``web.token``) come only from the environment; one written into
``monitor.yaml`` is an error. A ``MONITOR_…__…`` variable that names no setting is an error too,
so a misspelt name does not pass silently.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from monitor.errors import ConfigError, ConfigProblem

PREFIX = "MONITOR_"
SECRET_VARS = {"smtp.password": "MONITOR_SMTP_PASSWORD", "web.token": "MONITOR_WEB_TOKEN"}
SECRET_KEYS = tuple(SECRET_VARS)
LEGACY_NAMES = {
    "MONITOR_SMTP_HOST": "smtp.host",
    "MONITOR_SMTP_PORT": "smtp.port",
    "MONITOR_SMTP_USERNAME": "smtp.username",
    "MONITOR_SMTP_PASSWORD": "smtp.password",
    "MONITOR_WEB_TOKEN": "web.token",
}
# short names whose value is a comma-separated list rather than JSON
COMMA_LISTS = {"MONITOR_ALLOW_NETWORKS": "crawl.allow_networks"}
# MONITOR_* variables that are not settings (so they are never reported as unknown)
OTHER_VARIABLES = (
    "MONITOR_CONFIG_DIR",
    "MONITOR_TEST_POSTGRES_URL",
    "MONITOR_TEST_REDIS_URL",
)


def env_name(key: str) -> str:
    """``crawl.retries`` → ``MONITOR_CRAWL__RETRIES``."""
    return PREFIX + "__".join(part.upper() for part in key.split("."))


def _section(annotation: Any) -> type[BaseModel] | None:
    """The model class when a field is a nested section (not a list of models)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _structured(annotation: Any) -> bool:
    """Lists, mappings and models are given as JSON."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_structured(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin in (list, dict, tuple, set, frozenset):
        return True
    return isinstance(annotation, type) and issubclass(annotation, BaseModel | list | dict)


def leaf_keys(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every settable key (dotted) with its annotation, in the model's order."""
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        section = _section(field.annotation)
        if section is not None:
            yield from leaf_keys(section, key + ".")
        else:
            yield key, field.annotation


@dataclass(frozen=True)
class EnvValue:
    key: str
    var: str  # the variable the value came from (MONITOR_X or MONITOR_X_FILE)
    value: Any
    origin: str  # "env MONITOR_X" or "env MONITOR_X_FILE (/run/secrets/x)"


def _read_var(env: Mapping[str, str], var: str) -> tuple[str, str, str] | None:
    """``(value, var, origin)`` from ``var`` or ``var_FILE``; raises ConfigError on a conflict."""
    direct = env.get(var) or None
    path = env.get(var + "_FILE") or None
    if direct is not None and path is not None:
        raise ConfigError(
            [ConfigProblem(f"environment {var}", "", f"set either {var} or {var}_FILE, not both")]
        )
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                [
                    ConfigProblem(
                        f"environment {var}_FILE", "", f"cannot read {path}: {exc.strerror or exc}"
                    )
                ]
            ) from None
        return text.removesuffix("\n").removesuffix("\r"), var + "_FILE", f"env {var}_FILE ({path})"
    if direct is not None:
        return direct, var, f"env {var}"
    return None


def _convert(key: str, var: str, raw: str, annotation: Any) -> Any:
    if var.removesuffix("_FILE") in COMMA_LISTS:
        return [part.strip() for part in raw.split(",") if part.strip()]
    if raw.strip().lower() == "null" and type(None) in typing.get_args(annotation):
        return None
    if _structured(annotation):
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                [ConfigProblem(f"environment {var}", key, f"expected JSON: {exc.msg}")]
            ) from None
    return raw


def env_values(model: type[BaseModel], env: Mapping[str, str]) -> list[EnvValue]:
    """The settings given in ``env``; raises :class:`ConfigError` naming each bad variable."""
    keys = dict(leaf_keys(model))
    names: dict[str, list[str]] = {key: [env_name(key)] for key in keys}
    for legacy, key in (LEGACY_NAMES | COMMA_LISTS).items():
        names[key].append(legacy)
    problems: list[ConfigProblem] = []
    known = {n for ns in names.values() for n in ns} | set(OTHER_VARIABLES)
    for var in sorted(env):
        base = var.removesuffix("_FILE")
        if var.startswith(PREFIX) and "__" in var and base not in known and env[var]:
            problems.append(
                ConfigProblem(
                    f"environment {var}",
                    "",
                    "names no setting (see README 'Environment variables')",
                )
            )
    out: list[EnvValue] = []
    for key, vars_ in names.items():
        found: list[tuple[str, str, str]] = []
        for var in vars_:
            try:
                got = _read_var(env, var)
            except ConfigError as exc:
                problems.extend(exc.problems)
                continue
            if got is not None:
                found.append(got)
        if not found:
            continue
        try:
            converted = [_convert(key, var, value, keys[key]) for value, var, _ in found]
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if any(value != converted[0] for value in converted[1:]):
            both = " and ".join(var for _, var, _ in found)
            problems.append(
                ConfigProblem(f"environment {both}", key, "set to different values; keep one")
            )
            continue
        _, var, origin = found[0]
        out.append(EnvValue(key, var, converted[0], origin))
    if problems:
        raise ConfigError(problems)
    return out


def yaml_key_lines(text: str) -> dict[str, int]:
    """``{"crawl.retries": 17, …}``: the line of every mapping key (lists are not entered)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}

    def walk(node: Any, prefix: str) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}"
            lines[key] = key_node.start_mark.line + 1
            walk(value_node, key + ".")

    walk(root, "")
    return lines


def check_no_secrets_in_file(raw: Mapping[str, Any], path: Path) -> None:
    problems = []
    for key in SECRET_KEYS:
        section, name = key.split(".")
        value = raw.get(section)
        if isinstance(value, dict) and value.get(name) not in (None, ""):
            problems.append(
                ConfigProblem(
                    str(path),
                    key,
                    f"secrets are not read from files; set {SECRET_VARS[key]} or "
                    f"{SECRET_VARS[key]}_FILE instead",
                )
            )
    if problems:
        raise ConfigError(problems)


def merge(raw: dict[str, Any], values: list[EnvValue]) -> dict[str, Any]:
    """``raw`` (the file's mapping) with the environment's values set into it."""
    for item in values:
        *sections, name = item.key.split(".")
        target = raw
        for section in sections:
            current = target.get(section)
            if not isinstance(current, dict):
                current = {}
                target[section] = current
            target = current
        target[name] = item.value
    return raw


def origins(
    model: type[BaseModel], path: Path, text: str | None, values: list[EnvValue]
) -> dict[str, str]:
    """Every key's origin: ``default``, ``FILE:LINE`` or ``env VAR``."""
    lines = yaml_key_lines(text) if text else {}
    by_env = {v.key: v.origin for v in values}
    out: dict[str, str] = {}
    for key, _annotation in leaf_keys(model):
        if key in by_env:
            out[key] = by_env[key]
        elif key in lines:
            out[key] = f"{path}:{lines[key]}"
        else:
            out[key] = "default"
    return out


def relabel(problems: list[ConfigProblem], values: list[EnvValue]) -> list[ConfigProblem]:
    """Validation problems of keys set in the environment name the variable, not the file."""
    by_key = {v.key: v.var for v in values}
    out = []
    for p in problems:
        key = p.key.split(" ", 1)[0]
        var = next((by_key[k] for k in by_key if key == k or key.startswith(k + ".")), None)
        out.append(ConfigProblem(f"environment {var}", p.key, p.message) if var else p)
    return out
