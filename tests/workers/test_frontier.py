"""The frontier on a real Redis: one entry per source until acknowledged, reclaim after the
visibility timeout, renewal keeps a long crawl's entries, give-back returns them at once."""

from __future__ import annotations

import time

import pytest

from monitor.config import QueueSettings
from monitor.frontier import Enqueued, Frontier, Taken, open_frontier
from monitor.frontier.streams import GROUP

pytestmark = pytest.mark.timeout(60)


def test_a_source_is_queued_once_until_a_worker_acknowledges_it(
    queue_settings: QueueSettings,
) -> None:
    frontier = open_frontier(queue_settings)
    assert frontier.enqueue("c1", [(1, "a"), (2, "b")]) == Enqueued(2, 0, 0)
    assert frontier.enqueue("c2", [(1, "a"), (3, "c")]) == Enqueued(1, 1, 0)  # a still queued
    taken = frontier.take("w1", 10, 100)
    assert sorted(t.source_id for t in taken) == [1, 2, 3]
    assert {t.cycle for t in taken if t.source_id == 1} == {"c1"}
    assert frontier.take("w2", 10, 50) == []  # each entry goes to one worker
    frontier.done(taken)
    stats = frontier.stats()
    assert (stats.length, stats.pending) == (0, 0)
    assert frontier.enqueue("c3", [(1, "a")]) == Enqueued(1, 0, 0)  # acknowledged: queued again


def test_a_silent_workers_entries_return_after_the_visibility_timeout(
    queue_settings: QueueSettings,
) -> None:
    frontier = open_frontier(queue_settings)  # visibility timeout: 5 s
    frontier.enqueue("c1", [(1, "a"), (2, "b")])
    dead = frontier.take("dead", 1, 100)
    alive = frontier.take("alive", 1, 100)
    assert len(dead) == len(alive) == 1
    time.sleep(3)
    assert frontier.renew("alive", alive) == [alive[0].entry_id]  # still crawling
    assert frontier.renew("other", dead) == []  # only the owner renews an entry
    assert frontier.take("other", 10, 50) == []
    time.sleep(2.5)
    reclaimed = frontier.take("other", 10, 100)
    assert [(t.source_id, t.reclaimed) for t in reclaimed] == [(dead[0].source_id, True)]
    assert frontier.renew("dead", dead) == []  # the dead worker no longer owns it


def test_given_back_entries_can_be_taken_at_once(queue_settings: QueueSettings) -> None:
    frontier = open_frontier(queue_settings)
    frontier.enqueue("c1", [(1, "a"), (2, "b")])
    taken = frontier.take("stopping", 10, 100)
    frontier.give_back("stopping", taken)
    again = frontier.take("other", 10, 100)
    assert sorted(t.source_id for t in again) == [1, 2]
    assert all(t.reclaimed for t in again)
    frontier.done(again)
    frontier.leave("stopping")
    assert frontier.stats().pending == 0


def _as_if_its_worker_died(frontier: Frontier, taken: list[Taken]) -> None:
    """Make the entries look abandoned (idle past the visibility timeout) without waiting."""
    frontier.client.xclaim(
        frontier.stream,
        GROUP,
        "dead",
        0,
        [t.entry_id for t in taken],
        idle=frontier.visibility_ms + 1000,
        justid=True,
    )


def test_a_source_whose_crawl_keeps_dying_is_set_aside_and_not_queued_again(
    queue_settings: QueueSettings,
) -> None:
    frontier = open_frontier(queue_settings.model_copy(update={"max_deliveries": 3}))
    frontier.enqueue("c1", [(7, "poison"), (8, "fine")])
    first = frontier.take("w", 10, 100)
    fine = [t for t in first if t.source_id == 8]
    frontier.done(fine)
    poison = [t for t in first if t.source_id == 7]
    assert [t.deliveries for t in poison] == [1]
    for attempt in (2, 3):
        _as_if_its_worker_died(frontier, poison)
        poison = frontier.take("w", 10, 100)
        assert [(t.source_id, t.reclaimed, t.deliveries) for t in poison] == [(7, True, attempt)]
    _as_if_its_worker_died(frontier, poison)
    assert frontier.take("w", 10, 50) == []  # the fourth time: set aside instead
    stats = frontier.stats()
    assert (stats.length, stats.pending) == (0, 0)
    [aside] = stats.set_aside
    assert (aside.source_id, aside.name, aside.cycle, aside.deliveries) == (7, "poison", "c1", 3)
    assert aside.until > aside.at
    # the next cycles do not queue it (the other source they do) until it is released
    assert frontier.enqueue("c2", [(7, "poison"), (8, "fine")]) == Enqueued(1, 0, 1)
    assert frontier.release([7, 99]) == 1
    assert frontier.stats().set_aside == ()
    assert frontier.enqueue("c3", [(7, "poison")]) == Enqueued(1, 0, 0)


def test_giving_back_does_not_count_as_a_delivery(queue_settings: QueueSettings) -> None:
    frontier = open_frontier(queue_settings.model_copy(update={"max_deliveries": 1}))
    frontier.enqueue("c1", [(1, "a")])
    taken = frontier.take("draining", 10, 100)
    for _ in range(3):  # drained three times: never crawled, never set aside
        frontier.give_back("draining", taken)
        taken = frontier.take("other", 10, 100)
        assert [(t.source_id, t.deliveries) for t in taken] == [(1, 1)]
    assert frontier.stats().set_aside == ()
