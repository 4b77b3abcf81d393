"""Progress of a crawl, reported each time a source is done (the CLI draws a bar from it)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from monitor.collect.tally import SourceTally

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgressEvent:
    source: str
    status: str
    sources_done: int
    sources_total: int
    new_items: int
    errors: int


Progress = Callable[[ProgressEvent], None]


class ProgressReporter:
    """Counts the sources done and calls ``progress`` (when given); a failing callback is logged,
    never raised."""

    def __init__(self, progress: Progress | None, tallies: Mapping[int, SourceTally]) -> None:
        self.progress = progress
        self.tallies = tallies
        self.done = 0

    def source_done(self, tally: SourceTally) -> None:
        self.done += 1
        if self.progress is None:
            return
        try:
            self.progress(
                ProgressEvent(
                    source=tally.job.name,
                    status=tally.status,
                    sources_done=self.done,
                    sources_total=len(self.tallies),
                    new_items=sum(t.new for t in self.tallies.values()),
                    errors=sum(t.errors for t in self.tallies.values()),
                )
            )
        except Exception:
            log.exception("Progress callback failed")
