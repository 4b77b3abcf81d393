"""The frontier on a real Redis: one entry per source until acknowledged, reclaim after the
visibility timeout, renewal keeps a long crawl's entries, give-back returns them at once."""

from __future__ import annotations

import time

import pytest

from monitor.config import QueueSettings
from monitor.frontier import open_frontier

pytestmark = pytest.mark.timeout(60)


def test_a_source_is_queued_once_until_a_worker_acknowledges_it(
    queue_settings: QueueSettings,
) -> None:
    frontier = open_frontier(queue_settings)
    assert frontier.enqueue("c1", [(1, "a"), (2, "b")]) == (2, 0)
    assert frontier.enqueue("c2", [(1, "a"), (3, "c")]) == (1, 1)  # a is still queued
    taken = frontier.take("w1", 10, 100)
    assert sorted(t.source_id for t in taken) == [1, 2, 3]
    assert {t.cycle for t in taken if t.source_id == 1} == {"c1"}
    assert frontier.take("w2", 10, 50) == []  # each entry goes to one worker
    frontier.done(taken)
    stats = frontier.stats()
    assert (stats.length, stats.pending) == (0, 0)
    assert frontier.enqueue("c3", [(1, "a")]) == (1, 0)  # acknowledged: it may be queued again


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
