"""The ledger, directly: work in flight per source, the step guard, done exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from monitor.collect.ledger import Ledger
from monitor.collect.records import SourceJob
from monitor.collect.tally import SourceTally
from monitor.errors import MonitorError


def make(n: int = 2) -> tuple[Ledger, dict[int, SourceTally], list[int]]:
    tallies = {
        i: SourceTally(
            SourceJob(
                source_id=i,
                name=f"source {i}",
                url=f"https://s{i}.example.org/rss.xml",
                kind="rss",
                language="en",
                fulltext="short",
            )
        )
        for i in range(1, n + 1)
    }
    done: list[int] = []
    return Ledger(tallies, on_done=lambda t: done.append(t.job.source_id)), tallies, done


def test_a_source_is_done_once_its_start_step_and_everything_it_emitted_are_over() -> None:
    ledger, _, done = make()
    assert list(ledger.run_step(1, lambda: iter(["feed request"]), stage="fetch", main=True)) == [
        "feed request"
    ]
    assert done == []  # the feed request is in flight
    items = list(ledger.run_step(1, lambda: iter(["item a", "item b"]), stage="feeds", main=True))
    assert items == ["item a", "item b"]
    assert done == []  # the two items wait for their batch
    ledger.release(1)
    assert done == []
    ledger.release(1)
    assert done == [1]
    assert ledger.is_done(1)
    assert not ledger.is_done(2)
    ledger.close(1)  # closing again (end of crawl) reports nothing twice
    assert done == [1]


def test_outputs_hold_the_source_as_they_are_emitted() -> None:
    ledger, _, done = make()
    steps = ledger.run_step(2, lambda: iter(["request"]), stage="fetch", main=True)
    assert next(steps) == "request"
    assert ledger.in_flight(2) == 2  # the start step is still running
    assert list(steps) == []
    assert ledger.in_flight(2) == 1
    assert done == []


def test_a_main_step_failure_fails_its_source_and_stays_there() -> None:
    ledger, tallies, done = make()

    def broken_feed() -> Iterator[str]:
        yield "item"
        raise MonitorError("feeds: not a feed")

    assert list(ledger.run_step(1, broken_feed, stage="feeds", main=True, http_status=200)) == [
        "item"
    ]
    tally = tallies[1]
    assert (tally.failure, tally.http_status, tally.errors) == ("feeds: not a feed", 200, 1)
    assert tallies[2].errors == 0
    assert done == []  # the item still holds the source
    ledger.release(1)
    assert done == [1]


def test_unexpected_errors_are_recorded_with_the_stage_and_never_escape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ledger, tallies, done = make()

    def bug() -> None:
        raise KeyError("oops")

    list(ledger.run_step(1, bug, stage="feeds", main=True))
    assert tallies[1].failure == "feeds: unexpected KeyError: 'oops'"
    assert tallies[1].http_status is None
    list(ledger.run_step(2, bug, stage="extract", main=False, url="https://s2.example.org/a"))
    assert tallies[2].failure is None  # an article page never fails its source
    assert tallies[2].messages == ["extract: https://s2.example.org/a: KeyError: 'oops'"]
    assert done == [1, 2]
    assert "Step failed stage=feeds source=source 1" in caplog.text


def test_an_awaiting_step_is_guarded_too() -> None:
    ledger, tallies, done = make()

    async def article() -> AsyncIterator[str]:
        await asyncio.sleep(0)
        yield "item"
        raise MonitorError("extract: no text")

    async def run() -> list[str]:
        return [x async for x in ledger.run_async_step(1, article, stage="extract", main=False)]

    assert asyncio.run(run()) == ["item"]
    assert tallies[1].messages == ["extract: no text"]
    assert tallies[1].failure is None
    assert ledger.in_flight(1) == 1  # the item
    assert done == []
