"""Work in flight per source, and the guard around every step of a source.

A source is *open* while anything of it is in flight, counted in units:

- each source starts with one unit, its start step (the step that sends its main request);
- every request or item a step emits for the source adds one (:meth:`Ledger.hold`);
- every step (the start, a response callback, a failure errback) releases one when it ends, and
  the batch writer releases one per item once the item's batch is stored (:meth:`Ledger.release`).

When the count drops to zero the source is *done*: ``on_done`` is called once with its tally (the
run then writes the source's outcome). A source still open when the crawl ends is closed by
:meth:`Ledger.close`.

:meth:`Ledger.step` is the guard; :meth:`Ledger.run_step` and :meth:`Ledger.run_async_step`
apply it to a step written as a function or a generator of what it emits (each output holds the
source). Whatever a step raises is recorded against its source and never escapes, so one broken
source never stops the others. In a *main* step (the source's feed, sitemap or listing page) a
failure fails the source; in any other step (an article page, a child sitemap) it is one more
error. A :class:`~monitor.errors.MonitorError` is recorded with its own message; anything else is
a bug, logged with its traceback and recorded as ``<stage>: unexpected …`` (main) or
``<stage>: <url>: …``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from monitor.collect.tally import SourceTally
from monitor.errors import MonitorError

log = logging.getLogger(__name__)
T = TypeVar("T")


class Ledger:
    def __init__(
        self, tallies: Mapping[int, SourceTally], on_done: Callable[[SourceTally], None]
    ) -> None:
        self._tallies = tallies
        self._on_done = on_done
        self._open = dict.fromkeys(tallies, 1)
        self._done: set[int] = set()

    def hold(self, source_id: int) -> None:
        """Something of the source is now in flight (a request or an item was emitted)."""
        self._open[source_id] += 1

    def release(self, source_id: int) -> None:
        """Something of the source has finished; the source is done when nothing is left."""
        self._open[source_id] -= 1
        if self._open[source_id] <= 0:
            self.close(source_id)

    def close(self, source_id: int) -> None:
        """The source is done (also when work was left in flight: the crawl ended)."""
        if source_id in self._done:
            return
        self._done.add(source_id)
        self._on_done(self._tallies[source_id])

    def in_flight(self, source_id: int) -> int:
        return max(self._open[source_id], 0)

    def is_done(self, source_id: int) -> bool:
        return source_id in self._done

    @contextmanager
    def step(
        self,
        source_id: int,
        *,
        stage: str,
        main: bool,
        http_status: int | None = None,
        url: str = "",
    ) -> Iterator[None]:
        """One step of the source: guarded (see the module docstring), released at the end.
        ``stage`` prefixes unexpected errors; ``http_status`` goes with a main step's failure."""
        tally = self._tallies[source_id]
        try:
            yield
        except MonitorError as exc:
            if main:
                tally.main_failed(str(exc), http_status=http_status)
            else:
                tally.error(str(exc))
        except Exception as exc:
            log.exception("Step failed stage=%s source=%s url=%s", stage, tally.job.name, url)
            if main:
                tally.main_failed(f"{stage}: unexpected {type(exc).__name__}: {exc}")
            else:
                tally.error(f"{stage}: {url}: {type(exc).__name__}: {exc}")
        finally:
            self.release(source_id)

    def run_step(
        self,
        source_id: int,
        step: Callable[[], Iterable[T] | None],
        *,
        stage: str,
        main: bool,
        http_status: int | None = None,
        url: str = "",
    ) -> Iterator[T]:
        """Run ``step`` (a function, or a generator of what it emits) guarded; each output holds
        the source. Lazy: the step runs as the result is iterated."""
        with self.step(source_id, stage=stage, main=main, http_status=http_status, url=url):
            for out in step() or ():
                self.hold(source_id)
                yield out

    async def run_async_step(
        self,
        source_id: int,
        step: Callable[[], AsyncIterable[T]],
        *,
        stage: str,
        main: bool,
        http_status: int | None = None,
        url: str = "",
    ) -> AsyncIterator[T]:
        """:meth:`run_step` for a step that awaits (an asynchronous generator)."""
        with self.step(source_id, stage=stage, main=main, http_status=http_status, url=url):
            async for out in step():
                self.hold(source_id)
                yield out
