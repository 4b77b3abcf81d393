"""What a failed fetch leaves behind: a message that says what happened (a body cut short), and a
``Retry-After`` honoured for at most a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.exceptions import ResponseDataLossError
from sqlalchemy import select
from twisted.python.failure import Failure

from monitor.collect.polling import parse_retry_after
from monitor.db.engine import Database
from monitor.db.models import FetchState, Source
from monitor.newsite import Fault, NewsSite
from spiders.failures import describe_failure
from tests.collect.support import by_name, crawl_json, write_config

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_data_loss_is_described_once_in_words() -> None:
    problem = describe_failure(Failure(ResponseDataLossError()), 30.0)
    assert problem.http_status is None
    assert "ResponseDataLossError: ResponseDataLossError" not in problem.message
    assert "before the whole response arrived" in problem.message


def test_an_exception_without_a_message_is_named_once() -> None:
    class OddError(Exception):
        pass

    assert describe_failure(Failure(OddError()), 30.0).message == "fetch: OddError"


@pytest.mark.parametrize(
    ("value", "wait"),
    [
        ("120", timedelta(seconds=120)),
        ("86400", timedelta(hours=24)),
        ("2592000", timedelta(hours=24)),  # 30 days asked: a day at most
        ("Mon, 28 Dec 2026 12:00:00 GMT", timedelta(hours=24)),
    ],
)
def test_retry_after_is_capped_at_a_day(value: str, wait: timedelta) -> None:
    assert parse_retry_after(value, now=NOW) == NOW + wait


def test_truncated_body_and_long_retry_after_end_to_end(
    news_site: NewsSite, tmp_path: Path
) -> None:
    cut = news_site.source_configs(kinds=["rss"], outlets=["tehran-wire"])[0]
    slow_down = news_site.source_configs(kinds=["atom"], outlets=["global-dispatch"])[0]
    news_site.set_fault(cut.url, Fault(kind="truncated"))
    news_site.set_fault(slow_down.url, Fault(kind="rate_limited", retry_after="2592000"))
    cdir = write_config(tmp_path, [cut, slow_down], retries=0)
    started = datetime.now(UTC)
    summary = by_name(crawl_json(cdir, expect_rc=1))
    text = " ".join(summary[cut.name]["messages"])
    assert summary[cut.name]["status"] == "failed"
    assert "before the whole response arrived" in text
    assert "ResponseDataLossError: ResponseDataLossError" not in text
    db = Database.open(f"sqlite:///{tmp_path / 'archive.db'}", migrate=False)
    try:
        with db.session() as s:
            src = s.scalar(select(Source).where(Source.name == slow_down.name))
            assert src is not None
            state = s.get(FetchState, src.id)
            assert state is not None
            assert state.retry_after_until is not None
            assert state.next_due_at is not None
            latest = started + timedelta(hours=24, minutes=5)
            assert state.retry_after_until <= latest
            assert state.next_due_at <= latest
            assert state.next_due_at >= started + timedelta(hours=23)
    finally:
        db.close()
