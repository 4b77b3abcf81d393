"""Alerts end to end: the local news site, crawls run by the scheduler's job runner (each followed
by its alert check), a real SMTP server (aiosmtpd) and a real webhook receiver on 127.0.0.1.

A wire story is published by more and more outlets: two outlets alert nobody, the third makes it
break (one email, one webhook call), a crawl with nothing new sends nothing, the fifth outlet is
the first update step (one more of each). Then an alert check is killed while the webhook is
answering: the next check sends that webhook call once more, the email not again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, update

from monitor.config import load_config
from monitor.db.engine import Database
from monitor.db.models import Alert, FetchState
from monitor.newsite import NewsSite, Outlet
from monitor.newsite.models import Article
from monitor.scheduler.jobs import JobRunner, RunOptions
from tests.channels.receiver import http_receiver
from tests.collect.support import run_monitor, write_config
from tests.digest.support import smtp_server

pytestmark = pytest.mark.slow
HOOK_ENV = "ALERT_E2E_HOOK_URL"
TITLE = "Iran and Russia agree on gas swap through Azerbaijan"
BODY = (
    "Iran and Russia on Wednesday agreed to start gas swaps through Azerbaijan next year, the "
    "energy ministers of the two countries said after talks in Tehran.",
    "Under the deal Russia's Gazprom will deliver up to two billion cubic metres of gas a year to "
    "Azerbaijan, while Iran will receive the same volume at its northern border for its own "
    "consumers in the Caspian provinces.",
    "Russian energy officials said the swap would be priced in national currencies and settled "
    "through the Mir and Shetab card systems that the two countries linked last year.",
)


def _outlets() -> list[Outlet]:
    return [
        Outlet(slug=f"wire{n}", name=f"Wire {n}", language="en", kinds=("rss",)) for n in range(7)
    ]


def _publish(site: NewsSite, numbers: Sequence[int]) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for n in numbers:
        site.add_article(
            f"wire{n}",
            Article(
                slug="gas-swap-azerbaijan",
                title=TITLE,
                body=BODY,
                author="Energy desk",
                published=now - timedelta(minutes=5),
                tags=("economy",),
                relevance_hint="bilateral",
                story_key="gas-swap",
            ),
        )


def _due_again(db: Database) -> None:
    """Every source is due again (as if its poll interval had passed)."""
    with db.session() as s:
        s.execute(update(FetchState).values(next_due_at=datetime.now(UTC) - timedelta(minutes=1)))


def _alerts(db: Database) -> list[tuple[str, str, int, str]]:
    with db.session() as s:
        rows = s.scalars(select(Alert).order_by(Alert.id))
        return [(a.recipient, a.kind, a.outlets, a.status) for a in rows]


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while not check():
        if datetime.now(UTC) > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        threading.Event().wait(0.05)


def test_story_growing_across_outlets_alerts_once_updates_once_and_resends_once_after_a_kill(
    tmp_path: Path,
    news_site_factory: Callable[[Sequence[Outlet]], NewsSite],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = news_site_factory(_outlets())
    cdir = write_config(tmp_path, site.source_configs())
    with smtp_server() as srv, http_receiver() as rx:
        settings = yaml.safe_load((cdir / "monitor.yaml").read_text(encoding="utf-8"))
        settings.update(
            smtp={"host": "127.0.0.1", "port": srv.port, "security": "none",
                  "from_address": "monitor@example.org", "retry_base_s": 0.01},
            apprise={"timeout_s": 20, "retry_base_s": 0.01},
            alerts={"min_sources": 3, "window_hours": 6, "second_language": False,
                    "update_steps": [5, 7]},
            recipients=[
                {"name": "mail", "address": "reader@example.org", "alerts": {"breaking": True}},
                {"name": "hook", "channels": [{"name": "ops", "url_env": HOOK_ENV}],
                 "alerts": {"breaking": True}},
            ],
        )  # fmt: skip
        (cdir / "monitor.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
        for key in [k for k in os.environ if k.startswith("MONITOR_")]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("NO_PROXY", "*")
        monkeypatch.setenv(HOOK_ENV, rx.url())
        config = load_config(cdir)
        db = Database.open(config.database_url)
        runner = JobRunner(config, db, RunOptions(kill_grace_s=1), threading.Event())

        def crawl() -> None:
            _due_again(db)
            result = runner.run_crawl()
            assert result is not None
            assert result.ok, result.stdout[-2000:]

        # two outlets: not breaking yet
        _publish(site, [0, 1])
        crawl()
        assert _alerts(db) == []
        # the third outlet: one alert per recipient, right after the crawl
        _publish(site, [2])
        crawl()
        assert _alerts(db) == [("mail", "breaking", 3, "sent"), ("hook", "breaking", 3, "sent")]
        assert len(srv.handler.received) == 1
        assert len(rx.accepted()) == 1
        assert srv.handler.received[0]["Subject"].startswith(f"Breaking: {TITLE}")
        # a crawl with nothing new adds nothing
        crawl()
        assert len(_alerts(db)) == 2
        # five outlets: the first update step, one update each
        _publish(site, [3, 4])
        crawl()
        assert _alerts(db)[2:] == [("mail", "update", 5, "sent"), ("hook", "update", 5, "sent")]
        assert len(srv.handler.received) == 2
        assert len(rx.accepted()) == 2
        assert "now 5 outlets (was 3)" in rx.accepted()[1].body["message"]

        # the next step, with the alert check killed while the webhook is answering
        _publish(site, [5, 6])
        _due_again(db)
        proc = run_monitor(cdir, "crawl", "--due", "--json")
        assert proc.returncode == 0, proc.stderr[-2000:]
        rx.replies = [(200, 0.0)] * len(rx.requests) + [(200, 30.0), (200, 0.0)]
        rx.got.clear()
        child = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(cdir), "alerts", "run"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(lambda: len(rx.requests) == 3, 60, "the webhook call of the second update")
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        assert len(srv.handler.received) == 3  # the email went first and was recorded
        assert [a[1:] for a in _alerts(db)[4:]] == [("update", 7, "sent"), ("update", 7, "pending")]
        again = run_monitor(cdir, "alerts", "run", "--json")
        assert again.returncode == 0, again.stderr[-2000:]
        once_more = run_monitor(cdir, "alerts", "run", "--json")
        assert once_more.returncode == 0, once_more.stderr[-2000:]
        db.close()

    # the webhook got the killed call and exactly one resend, with the same Message-ID
    assert len(rx.requests) == 4
    assert rx.requests[2].headers["X-Message-ID"] == rx.requests[3].headers["X-Message-ID"]
    assert len(srv.handler.received) == 3
    assert len({m["Message-ID"] for m in srv.handler.received}) == 3
