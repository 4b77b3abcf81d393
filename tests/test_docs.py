"""The README documents every setting and every command (the docs cannot drift from the code)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from monitor.cli import COMMANDS, cli
from monitor.config import RecipientConfig, Settings, SourceConfig

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _fields(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _fields(annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def _settings_keys() -> list[str]:
    return [k for k in _fields(Settings) if k != "recipients"]


@pytest.mark.parametrize("key", _settings_keys())
def test_every_setting_is_documented(key: str) -> None:
    # a key is documented when the README names it in full, or as "section.a / section.b"
    section, _, leaf = key.rpartition(".")
    assert f"`{key}`" in README or (
        section and f"`{section}." in README and f"{leaf}`" in README
    ), key


@pytest.mark.parametrize(
    "key", [*RecipientConfig.model_fields, *SourceConfig.model_fields], ids=str
)
def test_every_recipient_and_source_field_is_documented(key: str) -> None:
    assert f"`{key}`" in README, key


def _commands() -> Iterator[str]:
    ctx = click.Context(cli)
    for name in sorted(COMMANDS):
        cmd = cli.get_command(ctx, name)
        assert cmd is not None
        if isinstance(cmd, click.Group):
            for sub in cmd.list_commands(click.Context(cmd)):
                yield f"monitor {name} {sub}"
        else:
            yield f"monitor {name}"


@pytest.mark.parametrize("command", list(_commands()))
def test_every_command_is_documented(command: str) -> None:
    assert f"`{command}" in README or f"{command}`" in README or f"{command} " in README, command


def _variables_named_in_code() -> set[str]:
    root = Path(__file__).resolve().parent.parent
    files = [
        *root.glob("monitor/**/*.py"),
        *root.glob("spiders/*.py"),
        *(p for p in (root / "deploy").iterdir() if p.is_file()),
        *(p for p in (root / ".ci").iterdir() if p.is_file()),
        root / "Makefile",
    ]
    names: set[str] = set()
    for path in files:
        names |= set(re.findall(r"\bMONITOR_[A-Z0-9]+(?:_[A-Z0-9]+)*\b", path.read_text("utf-8")))
    return names - {"MONITOR_X", "MONITOR_X_FILE"}  # the placeholder in settings_sources' notes


def test_every_environment_variable_is_documented() -> None:
    names = _variables_named_in_code()
    assert "MONITOR_WEB_TOKEN" in names
    missing = sorted(name for name in names if name not in README)
    assert not missing, f"README does not mention {missing}"
