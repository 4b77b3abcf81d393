"""One exit code per error class, one line per error, warnings for filters that match nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.errors import ExitCode
from monitor.paths import shipped_config_dir


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    dest = tmp_path / "config"
    shutil.copytree(shipped_config_dir(), dest)
    return dest


def invoke(cfg: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    base = {"MONITOR_DATA_DIR": str(cfg.parent / "data")}
    result = CliRunner(env={**base, **(env or {})}).invoke(cli, ["--config", str(cfg), *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(["show", "999999"], ExitCode.NOT_FOUND, "no item 999999", id="show"),
        pytest.param(["explain", "999999"], ExitCode.NOT_FOUND, "no item '999999'", id="explain"),
        pytest.param(["stories", "show", "999"], ExitCode.NOT_FOUND, "no story 999", id="story"),
        pytest.param(["digests", "show", "999"], ExitCode.NOT_FOUND, "no digest 999", id="digest"),
        pytest.param(
            ["sources", "remove", "Nope"], ExitCode.NOT_FOUND, "no source named 'Nope'", id="remove"
        ),
        pytest.param(
            ["sources", "enable", "Nope"], ExitCode.NOT_FOUND, "no source named 'Nope'", id="enable"
        ),
        pytest.param(
            ["crawl", "--source", "TASS (eng)"],
            ExitCode.NOT_FOUND,
            "did you mean 'TASS (en)'",
            id="crawl source",
        ),
        pytest.param(
            ["digest", "--preview", "-r", "nobody"],
            ExitCode.NOT_FOUND,
            "unknown recipient 'nobody'",
            id="recipient",
        ),
        pytest.param(["search", '"open'], ExitCode.USAGE, "error: query:", id="query"),
        pytest.param(["search", "--from", "yesterday"], ExitCode.USAGE, "not a date", id="date"),
        pytest.param(
            ["digest", "--preview", "--now", "soon"], ExitCode.USAGE, "not an ISO time", id="now"
        ),
        pytest.param(["crawl", "--bogus"], ExitCode.USAGE, "No such option", id="option"),
    ],
)
def test_exit_code_per_error_class(cfg: Path, args: list[str], code: int, message: str) -> None:
    got, out = invoke(cfg, *args)
    assert (got, message in out) == (code, True), out
    assert "Traceback" not in out


def test_config_and_storage_errors(cfg: Path, tmp_path: Path) -> None:
    (cfg / "monitor.yaml").write_text("crawl:\n  retries: -1\n")
    assert invoke(cfg, "status")[0] == ExitCode.CONFIG
    (cfg / "monitor.yaml").write_text("{}\n")
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    code, out = invoke(cfg, "status", env={"MONITOR_DATABASE_URL": f"sqlite:///{blocked}/a.db"})
    assert code == ExitCode.STORAGE, out


def test_unsupported_database_is_one_line(cfg: Path) -> None:
    env = {**os.environ, "MONITOR_DATABASE_URL": "mysql://user@db.example/monitor"}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(cfg), "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == ExitCode.CONFIG
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "MONITOR_DATABASE_URL" in lines[0]
    assert "mysql is not supported" in lines[0]


def test_unknown_filter_values_warn(cfg: Path) -> None:
    code, out = invoke(
        cfg, "search", "iran", "--language", "de", "--source", "TASS (eng)", "--theme", "nucleer"
    )
    assert code == 0, out
    assert "warning: --language 'de' matches nothing known" in out
    assert "warning: --source 'TASS (eng)' matches nothing known; did you mean 'TASS (en)'" in out
    assert "warning: --theme 'nucleer' matches nothing known; did you mean 'nuclear'" in out
    code, out = invoke(cfg, "export", "--format", "jsonl", "--language", "ru", "--theme", "nuclear")
    assert code == 0
    assert "warning" not in out


def test_help_shows_examples_and_exit_codes() -> None:
    out = CliRunner().invoke(cli, ["--help"]).output
    for example in ("monitor demo", "monitor crawl --source", "monitor search", "monitor digest"):
        assert example in out
    assert "Exit status: 0 ok" in out
