"""The shared crawl frontier: a Redis stream of due sources that ``monitor worker`` processes take.

The scheduler (``monitor run`` with ``queue.url``) adds one entry per due source per crawl cycle;
each worker takes entries with a consumer group, crawls those sources and acknowledges each one
once its outcome is committed to the archive. See :mod:`monitor.frontier.streams`.
"""

from __future__ import annotations

from monitor.frontier.streams import (
    Enqueued,
    Frontier,
    FrontierError,
    FrontierStats,
    SetAside,
    Taken,
    open_frontier,
)

__all__ = [
    "Enqueued",
    "Frontier",
    "FrontierError",
    "FrontierStats",
    "SetAside",
    "Taken",
    "open_frontier",
]
