"""Configuration reload re-creates the jobs (SIGHUP or a changed monitor.yaml)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import yaml

from monitor.config import load_config
from monitor.db.engine import Database
from monitor.scheduler.daemon import Daemon
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
