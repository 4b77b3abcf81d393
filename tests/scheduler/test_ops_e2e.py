"""Operations end to end: `monitor run` at the default log level (text and JSON), and a real
`monitor serve` whose /healthz and /metrics follow the running daemon, logging through the same
JSON formatter as everything else."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.models import Item
from monitor.newsite import NewsSite, demo_outlets
from tests.digest.support import free_port
from tests.scheduler.daemon_support import daemon, job_runs, wait_for, write_config

pytestmark = pytest.mark.slow
FAST = ["--tick-s", "0.3", "--kill-grace-s", "1", "--stop-wait-s", "5", "--crawl-every-s", "3600"]


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite(demo_outlets()) as s:
        yield s


def _json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def _first_crawl_done(db: Database) -> bool:
    return any(r.status not in ("running", "skipped") for r in job_runs(db, "crawl"))


def test_daemon_logs_job_start_and_end_by_default(tmp_path: Path, site: NewsSite) -> None:
    cdir = tmp_path / "config"
    url = write_config(cdir, tmp_path, site, 25)
    db = Database.open(url)
    log = tmp_path / "daemon.log"
    with daemon(cdir, log, *FAST, options=()) as d:  # no -v: the default level
        wait_for(lambda: _first_crawl_done(db), 90, "the first crawl", d)
        assert d.stop() == 0
    text = log.read_text("utf-8")
    assert " INFO monitor.scheduler.daemon: Scheduler started" in text
    assert " INFO monitor.scheduler.jobs: Job start job=crawl" in text
    end = next(line for line in text.splitlines() if "Job end job=crawl" in line)
    assert " INFO " in end
    assert "status=ok" in end
    assert "new_items=" in end
    assert " DEBUG " not in text

    # the same in JSON: every count is a key of its own, with a number
    json_log = tmp_path / "json.log"
    with daemon(cdir, json_log, *FAST, options=("--log-format", "json")) as d:
        wait_for(
            lambda: len(job_runs(db, "crawl")) >= 2 and _first_crawl_done(db), 90, "a crawl", d
        )
        wait_for(
            lambda: sum(r.status not in ("running", "skipped") for r in job_runs(db, "crawl")) >= 2,
            90,
            "the second crawl",
            d,
        )
        assert d.stop() == 0
    lines = _json_lines(json_log.read_text("utf-8"))
    assert lines, json_log.read_text("utf-8")[-2000:]
    ends = [r for r in lines if r["msg"].startswith("Job end job=crawl")]
    assert ends, lines[-5:]
    end_record = ends[-1]
    assert end_record["level"] == "info"
    assert end_record["job"] == "crawl"
    assert end_record["status"] == "ok"
    assert isinstance(end_record["new_items"], int)
    assert isinstance(end_record["sources_total"], int)
    assert isinstance(end_record["duration_s"], float)
    assert "counts" not in end_record
    db.close()


@contextmanager
def serve(cdir: Path, port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(cdir), "--log-format", "json",
             "serve", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _metrics(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_serve_answers_healthz_and_metrics_from_the_running_daemon(
    tmp_path: Path, site: NewsSite
) -> None:
    cdir = tmp_path / "config"
    url = write_config(cdir, tmp_path, site, 25)
    db = Database.open(url)
    port = free_port()
    web_log = tmp_path / "web.log"
    base = f"http://127.0.0.1:{port}"
    with (
        serve(cdir, port, web_log) as web,
        httpx.Client(base_url=base, trust_env=False, timeout=10) as client,
    ):

        def up() -> bool:
            assert web.poll() is None, web_log.read_text("utf-8")[-3000:]
            try:
                return client.get("/healthz").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, 30, "monitor serve")
        before = client.get("/healthz").json()
        assert before["status"] == "degraded"
        assert before["scheduler"]["running"] is False
        assert client.get("/healthz?require=scheduler").status_code == 503

        with daemon(cdir, tmp_path / "daemon.log", *FAST) as d:
            wait_for(lambda: _first_crawl_done(db), 90, "the first crawl", d)
            health = client.get("/healthz?require=scheduler")
            assert health.status_code == 200, health.text
            body = health.json()
            assert body["status"] == "ok"
            assert body["scheduler"]["heartbeat_age_s"] < 30
            assert body["sources"]["failing"] == 0
            samples = _metrics(client)
            assert samples[("monitor_scheduler_up", ())] == 1
            assert samples[("monitor_crawl_runs_total", (("status", "ok"),))] >= 1
            with db.session() as s:
                stored = s.scalar(select(func.count(Item.id)))
            assert samples[("monitor_items_new_total", ())] == stored
            assert samples[("monitor_job_runs_total", (("job", "crawl"), ("status", "ok")))] == 1
            assert samples[("monitor_job_duration_seconds_count", (("job", "crawl"),))] == 1
            assert samples[("monitor_sources", (("state", "ok"),))] == len(site.source_configs())
            assert d.stop() == 0

        # a stopped scheduler is seen at once (its row is closed), not after the heartbeat ages
        after = client.get("/healthz?require=scheduler")
        assert after.status_code == 503
        assert after.json()["scheduler"]["running"] is False
        assert _metrics(client)[("monitor_scheduler_up", ())] == 0

    time.sleep(0.2)
    records = _json_lines(web_log.read_text("utf-8"))
    loggers = {r["logger"] for r in records}
    assert {"uvicorn.error", "uvicorn.access", "monitor.web.server"} <= loggers, loggers
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert any(r["path"] == "/metrics" and r["status_code"] == 200 for r in access), access[-3:]
    assert any(
        r["path"] == "/healthz?require=scheduler" and r["status_code"] == 503 for r in access
    )
    started = next(r for r in records if r["logger"] == "monitor.web.server")
    assert started["port"] == port
    db.close()
