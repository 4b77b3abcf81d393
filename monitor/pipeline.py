"""The stages an item passes through after it is stored, inside the same transaction.

Collection stores a new (or revised) :class:`~monitor.db.models.Item`, then runs each stage in
order: **judge** (relevance: score, themes, key figures, explanation), then **fold** (dedup: attach
the item to a story as lead, copy or related). Stages never fetch anything and never commit: the
caller's transaction covers the item and everything the stages write, so a crash leaves nothing
half-written.

A stage counts what it did in ``ctx.stats`` under a namespaced key (``judge/relevant``,
``fold/copies``); the crawl run records those counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from monitor.db.models import Item


@dataclass
class StageContext:
    run_id: int | None = None
    stats: Counter[str] = field(default_factory=Counter)
    # the (kind, value) tags the judge stored for the item it judged last, as (item id, tags):
    # the fold, which runs next on that item, need not read them back
    judged_tags: tuple[int, list[tuple[str, str]]] | None = None


class ItemStage(Protocol):
    name: str

    def process(self, session: Session, item: Item, ctx: StageContext) -> None:
        """Update ``item`` (and related rows) in place; raise only on a bug."""


def start_run(stages: Sequence[ItemStage]) -> None:
    """A crawl run begins with these stages: those that hold what may change between runs
    (``start_run``: the fold stage's reviewer labels) read it again; a process that crawls run
    after run with the same stages (``monitor worker``) sees what changed meanwhile."""
    for stage in stages:
        start = getattr(stage, "start_run", None)
        if start is not None:
            start()


def run_stages(stages: list[ItemStage], session: Session, item: Item, ctx: StageContext) -> None:
    for stage in stages:
        stage.process(session, item, ctx)
