"""The fetch-state policy, directly: what a source's fetch state becomes after one run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from monitor.collect.polling import FetchOutcome, FetchStateValues, next_fetch_state

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
EARLIER = NOW - timedelta(days=1)
POLICY = {"poll_interval_minutes": 30, "backoff_base_minutes": 15, "backoff_max_hours": 24}

FAILING = FetchStateValues(
    etag='"v1"',
    last_modified="Fri, 28 Feb 2025 10:00:00 GMT",
    last_attempt_at=EARLIER,
    last_success_at=EARLIER - timedelta(days=1),
    last_status=500,
    last_error="fetch: HTTP 500",
    last_error_at=EARLIER,
    consecutive_failures=2,
    next_due_at=EARLIER,
    retry_after_until=EARLIER,
    last_item_at=EARLIER,
)


def after(state: FetchStateValues, outcome: FetchOutcome) -> FetchStateValues:
    return next_fetch_state(state, outcome, now=NOW, **POLICY)


def test_success_resets_failures_stores_validators_and_polls_again_after_the_interval() -> None:
    ok = FetchOutcome(http_status=200, failure=None, etag='"v2"', last_modified="Sat, 01 Mar")
    assert after(FAILING, ok) == replace(
        FAILING,
        etag='"v2"',
        last_modified="Sat, 01 Mar",
        last_attempt_at=NOW,
        last_success_at=NOW,
        last_status=200,
        consecutive_failures=0,
        next_due_at=NOW + timedelta(minutes=30),
        retry_after_until=None,
        # the last error stays on record, with its time
    )


def test_not_modified_keeps_the_validators_and_a_200_without_them_clears_them() -> None:
    not_modified = after(FAILING, FetchOutcome(http_status=304, failure=None, not_modified=True))
    assert (not_modified.etag, not_modified.last_modified) == (FAILING.etag, FAILING.last_modified)
    assert not_modified.last_status == 304
    assert not_modified.consecutive_failures == 0
    plain = after(FAILING, FetchOutcome(http_status=200, failure=None))
    assert (plain.etag, plain.last_modified) == (None, None)


def test_newest_item_date_only_moves_forward() -> None:
    later, older = NOW - timedelta(hours=1), EARLIER - timedelta(days=3)
    moved = after(FAILING, FetchOutcome(http_status=200, failure=None, newest_item=later))
    assert moved.last_item_at == later
    kept = after(FAILING, FetchOutcome(http_status=200, failure=None, newest_item=older))
    assert kept.last_item_at == EARLIER
    first = after(
        FetchStateValues(), FetchOutcome(http_status=200, failure=None, newest_item=older)
    )
    assert first.last_item_at == older


def test_failure_counts_backs_off_and_keeps_validators_and_success_times() -> None:
    failed = after(FAILING, FetchOutcome(http_status=None, failure="fetch: connection refused"))
    assert failed == replace(
        FAILING,
        last_attempt_at=NOW,
        last_status=None,
        last_error="fetch: connection refused",
        last_error_at=NOW,
        consecutive_failures=3,
        next_due_at=NOW + timedelta(minutes=60),  # 15 min × 2^(3−1)
        retry_after_until=None,
    )


def test_first_failure_and_retry_after_later_than_the_back_off() -> None:
    wait = NOW + timedelta(hours=6)
    state = after(
        FetchStateValues(),
        FetchOutcome(http_status=429, failure="fetch: HTTP 429", retry_after_until=wait),
    )
    assert state.consecutive_failures == 1
    assert state.last_success_at is None
    assert state.retry_after_until == wait
    assert state.next_due_at == wait  # later than the 15-minute back-off
    short = after(
        FetchStateValues(),
        FetchOutcome(http_status=503, failure="x", retry_after_until=NOW + timedelta(minutes=1)),
    )
    assert short.next_due_at == NOW + timedelta(minutes=15)
