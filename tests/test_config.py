"""Configuration loading and `monitor config check`: every problem names file, key and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.paths import shipped_config_dir


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    dest = tmp_path / "config"
    shutil.copytree(shipped_config_dir(), dest)
    return dest


def run_check(config_dir: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config_dir), "config", "check"])
    return result.exit_code, result.output


def test_shipped_config_is_valid(config_dir: Path) -> None:
    code, out = run_check(config_dir)
    assert code == 0, out
    assert "configuration is valid" in out
    cfg = load_config(config_dir, env={})
    assert len(cfg.sources) >= 25
    assert {s.language for s in cfg.sources} == {"en", "ru", "fa"}
    assert all(not s.verified for s in cfg.sources), "shipped URLs cannot be checked from here"
    categories = {s.category for s in cfg.sources}
    assert {"state_agency", "independent", "international", "official", "search"} <= categories


@pytest.mark.parametrize(
    ("file", "edit", "key", "reason"),
    [
        pytest.param(
            "monitor.yaml",
            lambda t: t.replace("download_timeout_s: 30", "download_timeout_s: -5"),
            "crawl.download_timeout_s",
            "greater than 0",
            id="negative timeout",
        ),
        pytest.param(
            "monitor.yaml",
            lambda t: t.replace("  autothrottle: true", "  autothrotle: true"),
            "crawl.autothrotle",
            "unknown key",
            id="misspelt key",
        ),
        pytest.param(
            "monitor.yaml",
            lambda t: t.replace("timezone: Europe/Berlin", "timezone: Mars/Olympus"),
            "recipients.0.timezone",
            "unknown time zone",
            id="bad time zone",
        ),
        pytest.param(
            "monitor.yaml",
            lambda t: t.replace("  username: null", "  password: hunter2"),
            "smtp.password",
            "MONITOR_SMTP_PASSWORD",
            id="secret in file",
        ),
        pytest.param(
            "monitor.yaml",
            lambda t: t.replace("crawl:\n", "crawl: [\n", 1),
            "line",
            "invalid YAML",
            id="yaml syntax",
        ),
        pytest.param(
            "sources.yaml",
            lambda t: t.replace(
                'url: "https://tass.ru/rss/v2.xml", kind: rss', 'url: "ftp://tass.ru/x", kind: rss'
            ),
            "sources.1.url (TASS (ru))",
            "http",
            id="bad url names the source",
        ),
        pytest.param(
            "sources.yaml",
            lambda t: t.replace(
                "kind: rss, language: ru, poll_interval_minutes: 20, category: state_agency",
                "kind: gopher, language: ru, poll_interval_minutes: 20, category: state_agency",
                1,
            ),
            "kind",
            "rss",
            id="bad kind",
        ),
        pytest.param(
            "outlets.yaml",
            lambda t: t.replace('"tass", "ria novosti"', '"tass", "", "ria novosti"', 1),
            "names",
            "entry 1 is empty",
            id="empty outlet name",
        ),
        pytest.param(
            "outlets.yaml",
            lambda t: t.replace("\nagencies:", "\nagences:", 1),
            "agences",
            "unknown key",
            id="misspelt outlets key",
        ),
    ],
)
def test_broken_config_is_reported(
    config_dir: Path, file: str, edit: object, key: str, reason: str
) -> None:
    path = config_dir / file
    before = path.read_text(encoding="utf-8")
    after = edit(before)  # type: ignore[operator]
    assert after != before, "the edit must change the file"
    path.write_text(after, encoding="utf-8")
    code, out = run_check(config_dir)
    assert code == 4
    assert str(path) in out
    assert key in out
    assert reason in out
    assert "Traceback" not in out


def test_environment_overrides_file(config_dir: Path) -> None:
    cfg = load_config(
        config_dir,
        env={"MONITOR_DATABASE_URL": "postgresql://u@h/db", "MONITOR_SMTP_PASSWORD": "s3cret"},
    )
    assert cfg.database_url == "postgresql://u@h/db"
    assert cfg.settings.smtp.password is not None
    assert cfg.settings.smtp.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(cfg.settings)


def test_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config directory not found"):
        load_config(tmp_path / "nope", env={})


def test_config_show_redacts_secrets(config_dir: Path) -> None:
    result = CliRunner(env={"MONITOR_SMTP_PASSWORD": "s3cret"}).invoke(
        cli, ["--config", str(config_dir), "config", "show"]
    )
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert "********" in result.output
