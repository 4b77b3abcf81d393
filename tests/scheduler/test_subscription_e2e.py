"""`monitor run` sends a saved search's digest on its schedule, like a configured recipient's:
a real daemon process, the local news site, a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import cli
from monitor.db.engine import Database
from monitor.db.models import Digest, DigestItem, Item
from monitor.db.read.items import matching_ids
from monitor.newsite import NewsSite, demo_outlets
from monitor.query import parse_query
from tests.digest.support import SmtpServer, smtp_server, text_part
from tests.scheduler.daemon_support import (
    daemon,
    due_minute,
    job_runs,
    offset_for,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.slow
FAST = ["--tick-s", "0.3", "--kill-grace-s", "1", "--stop-wait-s", "5"]
QUERY = "Bushehr"


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite(demo_outlets()) as s:
        yield s


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def test_saved_search_subscribed_while_running_gets_its_digest_once(
    tmp_path: Path, site: NewsSite, smtp: SmtpServer
) -> None:
    due, hhmm = due_minute(0)
    cdir = tmp_path / "config"
    url = write_config(cdir, tmp_path, site, smtp.port, recipients=[])
    db = Database.open(url)
    offset = offset_for(due - timedelta(seconds=15))
    with daemon(cdir, tmp_path / "d.log", *FAST, "--crawl-every-s", "3600",
                "--clock-offset-s", str(offset)) as d:  # fmt: skip
        crawled = wait_for(
            lambda: [r for r in job_runs(db, "crawl") if r.status == "ok"], 60, "the crawl", d
        )
        assert crawled
        # subscribed from the command line while the daemon runs (no reload, no restart)
        added = CliRunner().invoke(
            cli,
            ["--config", str(cdir), "searches", "add", "bushehr", QUERY,
             "--email", "npp@example.org", "--schedule", f"daily {hhmm}"],
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        runs = wait_for(
            lambda: [r for r in job_runs(db, "digest:search:bushehr") if r.status == "ok"],
            60,
            "the saved search's digest",
            d,
        )
        time.sleep(2)  # several more ticks: still one digest
        assert d.stop() == 0
    assert len(runs) == 1
    assert runs[0].detail["due_at"] == due.isoformat()
    # yesterday's due time, long past the grace time, may be recorded as skipped first
    others = [r for r in job_runs(db, "digest:search:bushehr") if r.id != runs[0].id]
    assert all(
        r.status == "skipped" and (r.detail or {}).get("due_at") != due.isoformat() for r in others
    )
    [msg] = smtp.handler.received
    assert msg["To"] == "npp@example.org"
    assert msg["List-Id"].endswith("<search-bushehr.digest.example.org>")
    # the story's lead is whichever of its reports arrived first: English, Russian or Persian
    assert any(name in text_part(msg) for name in ("Bushehr", "Бушер", "بوشهر"))
    with db.session() as s:
        digest = s.scalars(select(Digest).where(Digest.recipient == "search:bushehr")).one()
        carried = list(
            s.scalars(select(DigestItem.item_id).where(DigestItem.digest_id == digest.id))
        )
        relevant = list(s.scalars(select(Item.id).where(Item.relevant.is_(True))))
        matching = matching_ids(s, parse_query(QUERY), relevant)
    assert digest.status == "sent"
    assert carried
    assert set(carried) == matching
    assert len(matching) < len(relevant)
    db.close()
