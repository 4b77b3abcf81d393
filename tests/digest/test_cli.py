"""``monitor digest`` and ``monitor digests`` end to end, including a send killed mid-flight."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import cli
from monitor.config import load_config
from monitor.db.engine import Database
from monitor.db.models import Digest
from monitor.digest.service import run_digest
from tests.digest.support import T0, Archive, ScriptedHandler, hours, smtp_server

NOW = (T0 + hours(2)).isoformat()


def _config_dir(tmp_path: Path, db: Database, smtp_port: int = 25) -> Path:
    cdir = tmp_path / "config"
    cdir.mkdir(exist_ok=True)
    settings = {
        "database_url": db.engine.url.render_as_string(hide_password=False),
        "data_dir": str(tmp_path / "data"),
        "outbox_dir": str(tmp_path / "outbox"),
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "from_address": "monitor@example.org",
            "retry_base_s": 0.01,
            "max_attempts": 2,
        },
        "recipients": [
            {"name": "daily", "address": "reader@example.org", "backfill_days": 30},
            {
                "name": "weekly",
                "address": "boss@example.org",
                "schedule": "weekly mon 08:00",
                "backfill_days": 30,
            },
        ],
    }
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings))
    return cdir


def _seed(db: Database) -> None:
    with db.session() as s:
        a = Archive(s)
        a.item("Alpha News", "Ministers meet in Moscow", themes=("diplomacy",))
        a.item("Beta Post", "Rail corridor agreement", themes=("economy",), at=T0 + hours(1))


def test_preview_dry_run_send_list_show(db: Database, tmp_path: Path) -> None:
    _seed(db)
    with smtp_server() as srv:
        cdir = _config_dir(tmp_path, db, srv.port)
        runner = CliRunner()
        base = ["--config", str(cdir), "digest", "--recipient", "daily", "--now", NOW]

        preview = runner.invoke(cli, [*base, "--preview"])
        assert preview.exit_code == 0, preview.output
        page = Path(preview.output.strip().splitlines()[-1])
        assert page.suffix == ".html"
        assert "Ministers meet in Moscow" in page.read_text()

        dry = runner.invoke(cli, [*base, "--dry-run"])
        assert dry.exit_code == 0, dry.output
        eml = Path(dry.output.strip().splitlines()[-1])
        msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert "2 stories" in str(msg["Subject"])
        assert srv.handler.received == []

        sent = runner.invoke(
            cli, ["--config", str(cdir), "digest", "--send", "--now", NOW, "--json"]
        )
        assert sent.exit_code == 0, sent.output
        records = [json.loads(line) for line in sent.output.strip().splitlines()]
        assert {r["recipient"]: r["status"] for r in records} == {"daily": "sent", "weekly": "sent"}
        assert sorted(m["To"] for m in srv.handler.received) == [
            "boss@example.org",
            "reader@example.org",
        ]

        listing = runner.invoke(cli, ["--config", str(cdir), "digests", "list"])
        assert listing.exit_code == 0
        assert "daily" in listing.output
        assert "weekly" in listing.output
        digest_id = next(r["digest_id"] for r in records if r["recipient"] == "daily")
        show = runner.invoke(cli, ["--config", str(cdir), "digests", "show", str(digest_id)])
        assert show.exit_code == 0, show.output
        assert "Ministers meet in Moscow" in show.output
        assert "accepted" in show.output

        missing = runner.invoke(
            cli, ["--config", str(cdir), "digest", "--recipient", "nobody", "--send"]
        )
        assert missing.exit_code == 3
        assert "unknown recipient 'nobody'" in missing.output


def test_failed_send_exits_nonzero(db: Database, tmp_path: Path) -> None:
    _seed(db)
    with smtp_server(ScriptedHandler(replies=["554 5.7.1 Rejected"])) as srv:
        cdir = _config_dir(tmp_path, db, srv.port)
        result = CliRunner().invoke(
            cli, ["--config", str(cdir), "digest", "-r", "daily", "--send", "--now", NOW]
        )
    assert result.exit_code == 1
    assert "554" in result.output
    assert "stay pending" in result.output


@pytest.mark.slow
def test_killed_while_sending_then_next_run_delivers(db: Database, tmp_path: Path) -> None:
    """A real process is killed while the server holds its message; nothing is lost."""
    _seed(db)
    held = ScriptedHandler(hold_s=30)
    with smtp_server(held) as srv:
        cdir = _config_dir(tmp_path, db, srv.port)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monitor",
                "--config",
                str(cdir),
                "digest",
                "-r",
                "daily",
                "--send",
                "--now",
                NOW,
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert held.got_data.wait(timeout=60), proc.stderr.read() if proc.stderr else ""
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    with db.session() as s:
        assert s.scalars(select(Digest.status)).all() == ["sending"]
    with smtp_server() as srv2:
        config = load_config(_config_dir(tmp_path, db, srv2.port), env={})
        out = run_digest(config, db, "daily", "send", now=T0 + hours(3))
    assert out.status == "empty"
    assert len(out.resumed) == 1
    (resent,) = srv2.handler.received
    first = message_from_bytes(held.seen[0], policy=policy.default)
    assert resent["Message-ID"] == first["Message-ID"]
    assert "Ministers meet in Moscow" in str(resent.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    with db.session() as s:
        assert s.scalars(select(Digest.status)).all() == ["sent"]
