"""Scrapy callbacks and errbacks as guarded steps of their source.

A callback ``(self, response, job, **cb_kwargs)`` decorated with :func:`on_response`, or an
errback ``(self, failure, job, **cb_kwargs)`` decorated with :func:`on_failure`, runs through
:meth:`monitor.collect.ledger.Ledger.run_step` of the spider's collector: whatever it raises is
recorded against the source (a ``main`` step's failure fails the source), each request or item
it yields holds the source open, and the step's own hold (the request that brought it) is
released when it ends. The request's ``cb_kwargs`` must carry the ``job``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from scrapy.http import Response
from twisted.python.failure import Failure

from monitor.collect.records import SourceJob
from spiders.failures import request_of

if TYPE_CHECKING:
    from spiders.collect import CollectSpider


def on_response(stage: str, *, main: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run a response callback ``(self, response, job, **cb_kwargs)`` as one step of its source:
    guarded (a failure of a ``main`` step fails the source, with the response's status), each
    request or item it yields holding the source open. Works for generators and async ones."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isasyncgenfunction(method):

            @functools.wraps(method)
            def run_async(
                self: CollectSpider, response: Response, job: SourceJob, **kwargs: Any
            ) -> AsyncIterator[Any]:
                return self.collector.ledger.run_async_step(
                    job.source_id,
                    lambda: method(self, response, job, **kwargs),
                    stage=stage,
                    main=main,
                    http_status=response.status,
                    url=response.url,
                )

            return run_async

        @functools.wraps(method)
        def run(self: CollectSpider, response: Response, job: SourceJob, **kwargs: Any) -> Any:
            return self.collector.ledger.run_step(
                job.source_id,
                lambda: method(self, response, job, **kwargs),
                stage=stage,
                main=main,
                http_status=response.status,
                url=response.url,
            )

        return run

    return wrap


def on_failure(*, main: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run an errback ``(self, failure, job, **cb_kwargs)`` as one step of the failed request's
    source, like :func:`on_response`."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def run(self: CollectSpider, failure: Failure) -> Any:
            request = request_of(failure)
            kwargs = dict(request.cb_kwargs)
            job: SourceJob = kwargs.pop("job")
            return self.collector.ledger.run_step(
                job.source_id,
                lambda: method(self, failure, job, **kwargs),
                stage="fetch",
                main=main,
                url=request.url,
            )

        return run

    return wrap
