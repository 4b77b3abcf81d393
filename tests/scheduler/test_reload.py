"""Configuration reload re-creates the jobs (SIGHUP or a changed monitor.yaml)."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from monitor.config import QueueSettings, load_config
from monitor.db.engine import Database
from monitor.scheduler.daemon import Daemon, restart_reason
from monitor.scheduler.jobs import RunOptions


def _write(cdir: Path, url: str, recipients: list[dict[str, str]], schedule: str) -> None:
    data = {"database_url": url, "recipients": recipients, "schedule": {"upkeep_cron": schedule}}
    (cdir / "monitor.yaml").write_text(yaml.safe_dump(data), "utf-8")


def test_changed_config_file_recreates_jobs_and_bad_one_is_ignored(tmp_path: Path) -> None:
    cdir = tmp_path / "config"
    cdir.mkdir()
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    _write(cdir, url, [{"name": "a", "address": "a@example.org"}], "30 3 * * *")
    db = Database.open(url)
    d = Daemon(load_config(cdir), db, RunOptions(crawl_every_s=600))
    d.scheduler.start(paused=True)
    try:
        d.add_jobs(first_crawl_now=False)
        assert sorted(d.next_runs()) == ["crawl", "digest:a", "upkeep"]
        assert not d.config_changed()

        _write(
            cdir,
            url,
            [{"name": "b", "address": "b@example.org", "schedule": "weekly fri 09:00"}],
            "0 4 * * *",
        )
        st = (cdir / "monitor.yaml").stat()
        os.utime(cdir / "monitor.yaml", (st.st_atime, time.time() + 5))
        assert d.config_changed()
        d.tick()
        assert sorted(d.next_runs()) == ["crawl", "digest:b", "upkeep"]
        assert d.config.settings.schedule.upkeep_cron == "0 4 * * *"

        (cdir / "monitor.yaml").write_text(
            "recipients: [{name: c, address: c@example.org, schedule: 'hourly'}]\n"
        )
        os.utime(cdir / "monitor.yaml", (st.st_atime, time.time() + 10))
        assert d.reload() is False  # invalid: the old configuration and jobs stay
        assert sorted(d.next_runs()) == ["crawl", "digest:b", "upkeep"]
        assert not d.config_changed()
    finally:
        d.scheduler.shutdown(wait=False)
        db.close()


def test_a_reload_that_turns_the_queue_on_is_refused_until_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cdir = tmp_path / "config"
    cdir.mkdir()
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    _write(cdir, url, [], "30 3 * * *")
    db = Database.open(url)
    d = Daemon(load_config(cdir), db, RunOptions(crawl_every_s=600))
    d.scheduler.start(paused=True)
    try:
        d.add_jobs(first_crawl_now=False)
        data = yaml.safe_load((cdir / "monitor.yaml").read_text("utf-8"))
        data["queue"] = {"url": "redis://127.0.0.1:6379/0"}
        (cdir / "monitor.yaml").write_text(yaml.safe_dump(data), "utf-8")
        with caplog.at_level("ERROR", logger="monitor.scheduler.daemon"):
            assert d.reload() is False
        assert "queue.url was set" in caplog.text
        assert "Restart `monitor run`" in caplog.text
        assert not d.config.settings.queue.enabled  # the old configuration stays
        assert not d.config_changed()  # not retried at every tick
    finally:
        d.scheduler.shutdown(wait=False)
        db.close()


def test_restart_reason_names_what_a_reload_cannot_switch(tmp_path: Path) -> None:
    cdir = tmp_path / "config"
    cdir.mkdir()
    base = load_config(cdir)
    queue = QueueSettings(url="redis://127.0.0.1:6379/0")
    queued = replace(base, settings=base.settings.model_copy(update={"queue": queue}))
    moved = replace(
        queued,
        settings=queued.settings.model_copy(
            update={"database_url": "postgresql://db.example.org/other"}
        ),
    )
    assert restart_reason(base, base) is None
    assert restart_reason(queued, base) is None  # back to crawling by itself: fine
    assert restart_reason(queued, queued) is None
    assert "queue.url was set" in (restart_reason(base, queued) or "")
    assert "database_url changed" in (restart_reason(queued, moved) or "")
