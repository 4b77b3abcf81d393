"""Which outlet list the archive's stored keys were computed with.

Title keys, content fingerprints and the entry keys of link-less entries strip outlet names
(``config/outlets.yaml``). Each crawl run records the list's fingerprint in its options
(``options["outlets"]``); runs from before the list was configuration used the built-in list, which
the shipped ``outlets.yaml`` reproduces. When the list in force differs from the one the latest
stored items were keyed with, new copies of older items can no longer be matched by key (they still
are by text): :func:`outlet_key_warning` says so.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitor.config import shipped_outlets
from monitor.db.models import CrawlRun
from monitor.identity import Outlets

OPTION = "outlets"  # the crawl run option holding the fingerprint


def keyed_with(session: Session) -> str | None:
    """The outlet-list fingerprint of the latest run that stored or revised items (None: the
    archive has none)."""
    options = session.scalar(
        select(CrawlRun.options)
        .where(or_(CrawlRun.new_items > 0, CrawlRun.revised_items > 0))
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
    if options is None:
        return None
    found = options.get(OPTION) if isinstance(options, dict) else None
    return found if isinstance(found, str) else shipped_outlets().fingerprint


def outlet_key_warning(
    session: Session, outlets: Outlets, path: str = "outlets.yaml"
) -> str | None:
    """A warning when the stored keys were computed with another outlet list than ``outlets``."""
    stored = keyed_with(session)
    if stored is None or stored == outlets.fingerprint:
        return None
    return (
        f"warning: {path}: the outlet names changed since items were last stored (list "
        f"{stored}, now {outlets.fingerprint}): title keys and content fingerprints of new items "
        "are computed without the new names, so copies of items stored before may be matched by "
        "their text only. This is expected right after editing the list."
    )
