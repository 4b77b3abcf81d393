"""Pytest fixtures for the local test news site (registered in tests/conftest.py).

- ``news_site``: the demo site (eight outlets, en/ru/fa), running on 127.0.0.1 for one test;
  faults and added articles never leak into the next test.
- ``news_site_factory``: start a site with your own outlets, e.g. ``generate_outlets(3, 10)``.
- ``news_http``: an httpx client that ignores proxy settings and does not follow redirects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import httpx
import pytest

from monitor.newsite import NewsSite, Outlet, demo_outlets


@pytest.fixture
def news_site() -> Iterator[NewsSite]:
    """The running demo site."""
    with NewsSite(demo_outlets()) as site:
        yield site


@pytest.fixture
def news_site_factory() -> Iterator[Callable[[Sequence[Outlet]], NewsSite]]:
    """Start sites with given outlets; all are stopped after the test."""
    started: list[NewsSite] = []

    def make(outlets: Sequence[Outlet]) -> NewsSite:
        site = NewsSite(outlets).start()
        started.append(site)
        return site

    yield make
    for site in started:
        site.stop()


@pytest.fixture
def news_http() -> Iterator[httpx.Client]:
    """A plain HTTP client for the local site (no proxies, no redirects, short timeout)."""
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=5.0) as client:
        yield client
