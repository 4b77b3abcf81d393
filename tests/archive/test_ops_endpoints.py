"""/healthz and /metrics of the web app over a real archive (SQLite and PostgreSQL), scraped with
Starlette's test client and parsed with prometheus-client's own parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from monitor.config import SourceConfig
from monitor.db import jobs as q
from monitor.db import runs
from monitor.db.engine import Database
from monitor.db.models import Delivery, Digest
from monitor.db.sources import add_source
from monitor.records import SourceOutcome
from monitor.web.metrics import fetch_failure_kind
from tests.archive.webapp import make_app

TOKEN = "Vq3x9LmT2pR7sK4wZ8nB1cY6dF0gH5jE"


def scrape(
    client: TestClient, **headers: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return samples[(name, tuple(sorted(labels.items())))]


def _source(db: Database, name: str) -> int:
    with db.session() as s:
        return add_source(
            s, SourceConfig(name=name, url=f"https://{name.lower()}.example/rss", kind="rss",
                            language="en")
        ).id  # fmt: skip


def _crawl(
    db: Database, at: datetime, outcomes: list[tuple[int, str, int | None, str]], **totals: int
) -> None:
    with db.session() as s:
        run = runs.start_run(
            s, trigger="cli", options={}, sources_total=len(outcomes), pid=1, now=at
        )
        for source_id, status, http_status, message in outcomes:
            runs.record_run_source(
                s,
                run.id,
                SourceOutcome(source_id, "", status, http_status, 1, 0, 0, 0, (message,), 0.1),
            )
        runs.finish_run(s, run.id, status="ok", finished_at=at, **totals)


def _job(db: Database, job: str, start: datetime, seconds: float | None, status: str = "ok") -> int:
    with db.session() as s:
        run_id = q.start_job_run(s, job, start, {})
        if seconds is not None:
            q.finish_job_run(s, run_id, status, start + timedelta(seconds=seconds), {})
    return run_id


@pytest.mark.parametrize(
    ("status", "message", "kind"),
    [
        (404, "fetch: https://x/rss: HTTP 404", "http_4xx"),
        (429, "fetch: https://x/rss: HTTP 429 Too Many Requests", "http_429"),
        (503, "fetch: https://x/rss: HTTP 503", "http_5xx"),
        (None, "fetch: timed out after 30 s", "timeout"),
        (None, "fetch: DNS lookup failed; check the host name", "dns"),
        (None, "fetch: connection refused", "refused"),
        (None, "fetch: forbidden by robots.txt", "robots"),
        (None, "fetch: robots.txt could not be read (HTTP 503); nothing is fetched …", "robots"),
        (
            None,
            "fetch: response body over the size limit (300 bytes), download aborted",
            "too_large",
        ),
        (None, "fetch: too many redirects (redirect loop?)", "redirects"),
        (None, "feeds: https://x/rss is not a readable feed: junk", "parse"),
        (None, "something new", "other"),
    ],
)
def test_fetch_failures_are_sorted_by_kind(status: int | None, message: str, kind: str) -> None:
    assert fetch_failure_kind(status, message) == kind


def test_healthz_and_metrics_follow_the_archive(db: Database, tmp_path: Path) -> None:
    client = TestClient(make_app(db, tmp_path), base_url="http://127.0.0.1")
    now = datetime.now(UTC)

    # an empty archive, no scheduler: healthy but degraded; ?require=scheduler fails
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.headers["cache-control"] == "no-store"
    body = health.json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok"
    assert body["scheduler"] == {"running": False, "heartbeat_age_s": None}
    assert client.get("/healthz?require=scheduler").status_code == 503
    first = scrape(client)
    assert value(first, "monitor_archive_up") == 1
    assert value(first, "monitor_scheduler_up") == 0
    assert ("monitor_scheduler_heartbeat_age_seconds", ()) not in first

    # a scheduler that beat 5 s ago, two sources (one failing, backing off for an hour)
    with db.session() as s:
        daemon = q.start_job_run(s, "daemon", now - timedelta(hours=1), {"heartbeat_s": 30})
        q.beat_job_run(s, daemon, now - timedelta(seconds=5))
    ok_id, bad_id = _source(db, "Good"), _source(db, "Broken")
    with db.session() as s:
        runs.fetch_state(s, ok_id).last_attempt_at = now
        state = runs.fetch_state(s, bad_id)
        state.last_attempt_at = now
        state.consecutive_failures = 3
        state.next_due_at = now + timedelta(hours=1)
    _crawl(
        db,
        now,
        [(ok_id, "ok", 200, ""), (bad_id, "failed", 404, "fetch: https://x: HTTP 404")],
        new_items=5,
        relevant_items=2,
        copies_folded=1,
        revised_items=1,
    )
    _crawl(db, now, [(bad_id, "failed", None, "fetch: timed out after 30 s")], new_items=1)
    _job(db, "crawl", now - timedelta(minutes=9), 12)
    _job(db, "digest:reader", now - timedelta(minutes=8), 3, status="failed")
    held = _job(db, "crawl", now - timedelta(minutes=4), None)  # still running
    _job(db, "upkeep", now - timedelta(minutes=3), 40)  # ended, but after a running one
    with db.session() as s:
        digest = Digest(recipient="reader", address="r@example.org", message_id="<1@x>",
                        status="sent")  # fmt: skip
        s.add(digest)
        s.flush()
        s.add_all([Delivery(digest_id=digest.id, outcome="temporary", smtp_code=451),
                   Delivery(digest_id=digest.id, outcome="accepted", smtp_code=250)])  # fmt: skip

    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["scheduler"]["running"] is True
    assert 4 <= body["scheduler"]["heartbeat_age_s"] < 60
    assert body["sources"] == {"enabled": 2, "failing": 1}
    assert "Broken" not in client.get("/healthz").text  # no archive content without a login
    assert client.get("/healthz?require=scheduler").status_code == 200

    second = scrape(client)
    assert value(second, "monitor_scheduler_up") == 1
    assert 4 <= value(second, "monitor_scheduler_heartbeat_age_seconds") < 60
    assert value(second, "monitor_crawl_runs_total", status="ok") == 2
    assert value(second, "monitor_items_new_total") == 6
    assert value(second, "monitor_items_relevant_total") == 2
    assert value(second, "monitor_items_folded_total") == 1
    assert value(second, "monitor_items_revised_total") == 1
    assert value(second, "monitor_source_fetch_failures_total", kind="http_4xx") == 1
    assert value(second, "monitor_source_fetch_failures_total", kind="timeout") == 1
    assert value(second, "monitor_source_fetch_failures_total", kind="dns") == 0
    assert value(second, "monitor_sources", state="ok") == 1
    assert value(second, "monitor_sources", state="failing") == 1
    assert value(second, "monitor_sources", state="backing_off") == 1
    assert value(second, "monitor_source_consecutive_failures", source="Broken") == 3
    assert 3500 < value(second, "monitor_source_backoff_seconds", source="Broken") <= 3600
    assert value(second, "monitor_source_backoff_seconds", source="Good") == 0
    assert value(second, "monitor_digest_deliveries_total", outcome="accepted") == 1
    assert value(second, "monitor_digest_deliveries_total", outcome="temporary") == 1
    assert value(second, "monitor_digests", status="sent") == 1
    assert value(second, "monitor_job_runs_total", job="crawl", status="ok") == 1
    assert value(second, "monitor_job_runs_total", job="digest", status="failed") == 1
    assert value(second, "monitor_job_duration_seconds_count", job="crawl") == 1
    assert value(second, "monitor_job_duration_seconds_sum", job="crawl") == pytest.approx(12)
    assert value(second, "monitor_job_duration_seconds_bucket", job="crawl", le="15.0") == 1
    assert value(second, "monitor_job_duration_seconds_bucket", job="crawl", le="5.0") == 0
    # the upkeep run ended after a crawl that is still running: counted once that one ends
    assert ("monitor_job_runs_total", (("job", "upkeep"), ("status", "ok"))) not in second

    # later: the running crawl ends, one more failed fetch; counters move by exactly that
    with db.session() as s:
        q.finish_job_run(s, held, "ok", now, {})
    _crawl(db, now, [(bad_id, "failed", None, "fetch: timed out after 30 s")])
    third = scrape(client)
    assert value(third, "monitor_job_runs_total", job="crawl", status="ok") == 2
    assert value(third, "monitor_job_runs_total", job="upkeep", status="ok") == 1
    assert value(third, "monitor_job_duration_seconds_count", job="crawl") == 2
    assert value(third, "monitor_source_fetch_failures_total", kind="timeout") == 2
    assert value(third, "monitor_source_fetch_failures_total", kind="http_4xx") == 1
    assert value(third, "monitor_crawl_runs_total", status="ok") == 3

    # a heartbeat older than three intervals: the scheduler counts as gone
    with db.session() as s:
        q.beat_job_run(s, daemon, now - timedelta(minutes=10))
    assert client.get("/healthz").json()["status"] == "degraded"
    assert value(scrape(client), "monitor_scheduler_up") == 0


def test_with_a_token_metrics_need_it_and_healthz_does_not(db: Database, tmp_path: Path) -> None:
    client = TestClient(make_app(db, tmp_path, token=TOKEN), base_url="http://127.0.0.1")
    assert client.get("/healthz").status_code == 200
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    wrong = client.get(
        "/metrics", headers={"Authorization": "Bearer wrong"}, follow_redirects=False
    )
    assert wrong.status_code in (303, 401)
    samples = scrape(client, Authorization=f"Bearer {TOKEN}")
    assert value(samples, "monitor_archive_up") == 1
    # pages stay closed
    assert client.get("/api/sources").status_code == 401


def test_metrics_public_opens_metrics_only(db: Database, tmp_path: Path) -> None:
    from monitor.config import AppConfig, Settings
    from monitor.web import create_app

    settings = Settings.model_validate(
        {"data_dir": str(tmp_path), "web": {"token": TOKEN, "metrics_public": True}}
    )
    app = create_app(AppConfig(config_dir=tmp_path, settings=settings), db)
    client = TestClient(app, base_url="http://127.0.0.1")
    assert value(scrape(client), "monitor_archive_up") == 1
    assert client.get("/api/sources").status_code == 401
    # the host check still applies
    assert TestClient(app, base_url="http://evil.example").get("/metrics").status_code == 400


def test_an_archive_that_does_not_answer(tmp_path: Path) -> None:
    down = Database.open("postgresql://postgres@127.0.0.1:9/none", migrate=False)
    try:
        client = TestClient(make_app(down, tmp_path), base_url="http://127.0.0.1")
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        assert "127.0.0.1" not in health.text  # details go to the log only
        samples = scrape(client)
        assert value(samples, "monitor_archive_up") == 0
    finally:
        down.close()
