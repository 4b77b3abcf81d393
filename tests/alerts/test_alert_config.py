"""Alert, channel and query settings: bad values name file, key and (for queries) position."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load_config
from monitor.errors import ConfigError


def _write(tmp_path: Path, recipients: list[dict[str, object]], **extra: object) -> Path:
    cdir = tmp_path / "config"
    cdir.mkdir()
    data = {"recipients": recipients, **extra}
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return cdir


def test_bad_query_names_file_key_and_position(tmp_path: Path) -> None:
    cdir = _write(
        tmp_path, [{"name": "r", "address": "a@example.org", "query": "iran AND (russia"}]
    )
    with pytest.raises(ConfigError) as err:
        load_config(cdir, env={})
    (problem,) = err.value.problems
    assert problem.file.endswith("monitor.yaml")
    assert problem.key == "recipients.0.query"
    assert "unclosed '('" in problem.message
    assert "position 10" in problem.message


@pytest.mark.parametrize(
    ("recipient", "key", "words"),
    [
        ({"name": "r"}, "recipients.0", "address or at least one channel"),
        ({"name": "r", "address": "a@example.org", "alerts": {"quiet_hours": "25:00-07:00"}},
         "recipients.0.alerts.quiet_hours", "time range"),
        ({"name": "r", "channels": [{"name": "x", "url_env": "json://secret@host/"}]},
         "recipients.0.channels.0.url_env", "pattern"),
    ],
)  # fmt: skip
def test_bad_recipient_settings(
    tmp_path: Path, recipient: dict[str, object], key: str, words: str
) -> None:
    cdir = _write(tmp_path, [recipient])
    with pytest.raises(ConfigError) as err:
        load_config(cdir, env={})
    assert [p.key for p in err.value.problems] == [key]
    assert words in err.value.problems[0].message


def test_update_steps_must_increase(tmp_path: Path) -> None:
    cdir = _write(tmp_path, [], alerts={"update_steps": [10, 6]})
    with pytest.raises(ConfigError, match=r"alerts\.update_steps"):
        load_config(cdir, env={})


def test_channel_only_recipient_is_valid(tmp_path: Path) -> None:
    cdir = _write(tmp_path, [{"name": "r", "channels": [{"name": "ops", "url_env": "OPS_URL"}]}])
    (rcpt,) = load_config(cdir, env={}).settings.recipients
    assert rcpt.address is None
    assert rcpt.channels[0].url_env == "OPS_URL"


def test_config_check_warns_of_a_channel_whose_variable_is_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels = [{"name": "ops", "url_env": "OPS_URL"}, {"name": "phone", "url_env": "NTFY_URL"}]
    topic = Path(__file__).resolve().parents[2] / "config" / "topics" / "iran-russia.yaml"
    cdir = _write(tmp_path, [{"name": "r", "channels": channels}], topic=str(topic))
    monkeypatch.delenv("OPS_URL", raising=False)
    monkeypatch.setenv("NTFY_URL", "ntfys://ntfy.sh/topic")
    out = CliRunner().invoke(cli, ["--config", str(cdir), "config", "check"])
    assert out.exit_code == 0, out.output
    assert "configuration is valid" in out.stdout
    warnings = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "recipients.0.channels.0.url_env (r/ops)" in warnings[0]
    assert "OPS_URL is not set" in warnings[0]
