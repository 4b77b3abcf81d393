"""A local test news site: fictional outlets in English, Russian and Persian served over real HTTP.

Used by the test suite, the crawl benchmark and ``monitor demo``. See :mod:`.server` for the API,
:mod:`.routes` for the URL layout and :mod:`.faults` for the fault modes.
"""

from monitor.newsite.content_demo import demo_outlets
from monitor.newsite.content_generated import generate_outlets
from monitor.newsite.faults import FAULT_KINDS, Fault, FaultKind
from monitor.newsite.models import ALL_FEED_KINDS, Article, FeedKind, Outlet
from monitor.newsite.server import NewsSite, RequestRecord

__all__ = [
    "ALL_FEED_KINDS",
    "FAULT_KINDS",
    "Article",
    "Fault",
    "FaultKind",
    "FeedKind",
    "NewsSite",
    "Outlet",
    "RequestRecord",
    "demo_outlets",
    "generate_outlets",
]
