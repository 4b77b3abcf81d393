"""`monitor status` and `monitor upkeep` through the CLI, against a real archive."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from click.testing import CliRunner

from monitor.cli import cli
from monitor.db.engine import Database
from monitor.db.models import FetchState, JobRun, RecipientState
from tests.scheduler.helpers import add_item, add_source


def _config(tmp_path: Path) -> tuple[Path, str]:
    cdir = tmp_path / "config"
    cdir.mkdir()
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    (cdir / "monitor.yaml").write_text(
        yaml.safe_dump(
            {
                "database_url": url,
                "data_dir": str(tmp_path / "data"),
                "recipients": [
                    {
                        "name": "weekly",
                        "address": "w@example.org",
                        "schedule": "weekly mon 08:00",
                        "timezone": "Asia/Tehran",
                    },
                ],
                "retention": {"irrelevant_days": 30},
            }
        ),
        "utf-8",
    )
    return cdir, url


def test_status_reports_jobs_health_and_backlog(tmp_path: Path) -> None:
    cdir, url = _config(tmp_path)
    db = Database.open(url)
    now = datetime.now(UTC)
    a, b, c = add_source(db, "A"), add_source(db, "B"), add_source(db, "C")
    with db.session() as s:
        s.add(FetchState(source_id=a, last_attempt_at=now, last_success_at=now))
        s.add(FetchState(source_id=b, last_attempt_at=now, consecutive_failures=3,
                         next_due_at=now + timedelta(hours=1)))  # fmt: skip
        s.add(JobRun(job_id="crawl", started_at=now - timedelta(minutes=3), finished_at=now,
                     status="killed", detail={"exit_code": -9, "pid": 4242}))  # fmt: skip
        s.add(JobRun(job_id="daemon", started_at=now, status="running",
                     detail={"daemon_pid": os.getpid(), "host": os.uname().nodename}))  # fmt: skip
        s.add(RecipientState(recipient="weekly", tracking_since=now - timedelta(days=1)))
    add_item(db, a, "fresh", relevant=True, seen=now - timedelta(hours=1))
    add_item(db, a, "before-tracking", relevant=True, seen=now - timedelta(days=3))
    add_item(db, c, "irrelevant", relevant=False, seen=now)
    db.close()

    result = CliRunner().invoke(cli, ["--config", str(cdir), "status", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["daemon"]["pid"] == os.getpid()
    jobs = {j["job_id"]: j for j in status["jobs"]}
    assert set(jobs) == {"crawl", "digest:weekly", "upkeep"}
    assert jobs["crawl"]["last_status"] == "killed"
    assert jobs["crawl"]["last_detail"]["exit_code"] == -9
    nxt = datetime.fromisoformat(jobs["digest:weekly"]["next_run"])
    assert nxt.astimezone(UTC).weekday() == 0
    assert (nxt.hour, nxt.minute) == (4, 30)
    assert status["sources"] == {
        "enabled": 3, "disabled": 0, "never_fetched": 1, "failing": 1, "backing_off": 1, "ok": 1,
    }  # fmt: skip
    (rec,) = status["recipients"]
    assert rec["unsent_relevant_items"] == 1
    assert rec["unfinished_digests"] == 0

    text = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--config", str(cdir), "status"])
    assert text.exit_code == 0, text.output
    assert "Scheduler: running" in text.output
    assert "killed (exit -9)" in text.output
    assert "1 failing" in text.output


def test_upkeep_command_runs_once(tmp_path: Path) -> None:
    cdir, url = _config(tmp_path)
    db = Database.open(url)
    src = add_source(db)
    add_item(db, src, "old", relevant=False, seen=datetime.now(UTC) - timedelta(days=90))
    db.close()
    result = CliRunner().invoke(cli, ["--config", str(cdir), "upkeep", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["deleted_items"] == 1
    assert report["fts_optimized"] is True


def test_status_check_is_a_health_check(tmp_path: Path) -> None:
    """`monitor status --check` (the container HEALTHCHECK): 1 without a scheduler, 0 with one."""
    cdir, url = _config(tmp_path)
    db = Database.open(url)
    down = CliRunner().invoke(cli, ["--config", str(cdir), "status", "--check"])
    assert down.exit_code == 1
    assert down.output.strip() == "unhealthy: the scheduler (monitor run) is not running"
    with db.session() as s:
        s.add(JobRun(job_id="daemon", started_at=datetime.now(UTC), status="running",
                     detail={"daemon_pid": os.getpid(), "host": os.uname().nodename}))  # fmt: skip
    db.close()
    up = CliRunner().invoke(cli, ["--config", str(cdir), "status", "--check"])
    assert up.exit_code == 0, up.output
    assert up.output.startswith(f"ok: scheduler running (pid {os.getpid()}")
