"""Every setting from the environment (nested names, *_FILE twins) and `config show` origins."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import Settings, load_config
from monitor.errors import ConfigError
from monitor.paths import shipped_config_dir
from monitor.settings_sources import env_name, leaf_keys

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    dest = tmp_path / "config"
    shutil.copytree(shipped_config_dir(), dest)
    return dest


def test_nested_names_override_every_section(config_dir: Path) -> None:
    env = {
        "MONITOR_CRAWL__CONCURRENT_REQUESTS": "3",
        "MONITOR_CRAWL__AUTOTHROTTLE": "false",
        "MONITOR_DEDUP__NEAR_COPY_THRESHOLD": "0.8",
        "MONITOR_RELEVANCE__THRESHOLD": "1.5",
        "MONITOR_RETENTION__IRRELEVANT_DAYS": "30",
        "MONITOR_SCHEDULE__TIMEZONE": "Asia/Tehran",
        "MONITOR_DIGEST__TITLE": "Daily",
        "MONITOR_RECIPIENTS": json.dumps(
            [{"name": "a", "address": "a@example.org", "schedule": "daily 06:00"}]
        ),
    }
    s = load_config(config_dir, env=env).settings
    assert (s.crawl.concurrent_requests, s.crawl.autothrottle) == (3, False)
    assert (s.dedup.near_copy_threshold, s.relevance.threshold) == (0.8, 1.5)
    assert (s.retention.irrelevant_days, s.schedule.timezone) == (30, "Asia/Tehran")
    assert s.digest.title == "Daily"
    assert [(r.name, r.schedule) for r in s.recipients] == [("a", "daily 06:00")]


def test_null_clears_an_optional_value_and_empty_is_unset(config_dir: Path) -> None:
    (config_dir / "monitor.yaml").write_text("relevance:\n  threshold: 2.0\nsmtp:\n  host: a\n")
    s = load_config(
        config_dir, env={"MONITOR_RELEVANCE__THRESHOLD": "null", "MONITOR_SMTP__HOST": ""}
    ).settings
    assert (s.relevance.threshold, s.smtp.host) == (None, "a")


def test_file_twins_for_secrets_and_database(config_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("s3cret\n")
    (tmp_path / "token").write_text("tok")
    (tmp_path / "db").write_text("postgresql://monitor:pw@db:5432/monitor\n")
    cfg = load_config(
        config_dir,
        env={
            "MONITOR_SMTP_PASSWORD_FILE": str(tmp_path / "pw"),
            "MONITOR_WEB__TOKEN_FILE": str(tmp_path / "token"),
            "MONITOR_DATABASE_URL_FILE": str(tmp_path / "db"),
        },
    )
    s = cfg.settings
    assert s.smtp.password is not None
    assert s.smtp.password.get_secret_value() == "s3cret"
    assert s.web.token is not None
    assert s.web.token.get_secret_value() == "tok"
    assert cfg.database_url == "postgresql://monitor:pw@db:5432/monitor"
    assert cfg.origins["smtp.password"] == f"env MONITOR_SMTP_PASSWORD_FILE ({tmp_path / 'pw'})"


def test_legacy_names_still_work(config_dir: Path) -> None:
    s = load_config(
        config_dir,
        env={"MONITOR_SMTP_HOST": "mail", "MONITOR_SMTP_PORT": "2525", "MONITOR_WEB_TOKEN": "t"},
    ).settings
    assert (s.smtp.host, s.smtp.port) == ("mail", 2525)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"MONITOR_CRAWL__RETRYS": "1"},
            "environment MONITOR_CRAWL__RETRYS: names no setting",
            id="typo",
        ),
        pytest.param(
            {"MONITOR_CRAWL__RETRIES": "-1"},
            "environment MONITOR_CRAWL__RETRIES: crawl.retries: Input should be greater",
            id="bad value names the variable",
        ),
        pytest.param(
            {"MONITOR_SMTP_PASSWORD": "a", "MONITOR_SMTP_PASSWORD_FILE": "/nonexistent"},
            "set either MONITOR_SMTP_PASSWORD or MONITOR_SMTP_PASSWORD_FILE, not both",
            id="both",
        ),
        pytest.param(
            {"MONITOR_WEB_TOKEN_FILE": "/nonexistent/token"},
            "environment MONITOR_WEB_TOKEN_FILE: cannot read /nonexistent/token",
            id="missing file",
        ),
        pytest.param(
            {"MONITOR_SMTP_HOST": "a", "MONITOR_SMTP__HOST": "b"},
            "set to different values",
            id="two names disagree",
        ),
        pytest.param({"MONITOR_RECIPIENTS": "[oops"}, "expected JSON", id="json"),
        pytest.param(
            {"MONITOR_DATABASE_URL": "mysql://u@h/db"},
            "environment MONITOR_DATABASE_URL: database_url: mysql is not supported",
            id="unsupported database",
        ),
    ],
)
def test_environment_problems_name_the_variable(
    config_dir: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(config_dir, env=env)
    assert message in str(info.value)


def test_secret_in_the_file_is_still_an_error(config_dir: Path) -> None:
    (config_dir / "monitor.yaml").write_text("web:\n  token: hunter2\n")
    with pytest.raises(
        ConfigError, match="secrets are not read from files; set MONITOR_WEB_TOKEN or"
    ):
        load_config(config_dir, env={})


def test_config_show_names_each_origin(config_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("s3cret")
    (config_dir / "monitor.yaml").write_text("data_dir: ./d\ncrawl:\n  retries: 4\n")
    env = {
        "MONITOR_CRAWL__CONCURRENT_REQUESTS": "3",
        "MONITOR_SMTP_PASSWORD_FILE": str(tmp_path / "pw"),
    }
    runner = CliRunner(env=env)
    out = runner.invoke(cli, ["--config", str(config_dir), "config", "show"]).output
    path = config_dir / "monitor.yaml"
    assert f"data_dir: ./d  # {path}:1" in out
    assert f"  retries: 4  # {path}:3" in out
    assert "  concurrent_requests: 3  # env MONITOR_CRAWL__CONCURRENT_REQUESTS" in out
    assert "  download_delay_s: 0.0  # default" in out
    assert "password: '********'  # env MONITOR_SMTP_PASSWORD_FILE" in out
    assert "s3cret" not in out
    data = json.loads(
        runner.invoke(cli, ["--config", str(config_dir), "config", "show", "--json"]).output
    )
    assert data["origins"]["crawl.retries"] == f"{path}:3"
    assert data["settings"]["smtp"]["password"] == "********"


def test_readme_documents_every_environment_variable() -> None:
    """The README lists the naming rule, and every key it documents maps to a real variable."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Environment variables") :]
    for var in (
        "MONITOR_CONFIG_DIR",
        "MONITOR_SMTP_PASSWORD",
        "MONITOR_WEB_TOKEN",
        "MONITOR_DATABASE_URL",
        "_FILE",
        "MONITOR_CRAWL__CONCURRENT_REQUESTS",
        "MONITOR_TEST_POSTGRES_URL",
    ):
        assert var in section, var
    keys = {key for key, _ in leaf_keys(Settings)}
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    assert table
    for var in set(re.findall(r"MONITOR_[A-Z_]+__[A-Z_]+", table)):
        assert any(env_name(k) == var.removesuffix("_FILE") for k in keys), var
