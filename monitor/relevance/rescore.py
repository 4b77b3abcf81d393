"""Re-judge the stored archive after a topic change, in batches, one transaction per batch.

``dry_run`` judges every item and reports which would enter or leave the relevant set, writing
nothing. A reviewer's relevance label wins over the rules (the summary lists each such conflict).
Otherwise scores, explanations, languages and tags are updated; items that became
relevant and belong to no story are passed to the fold stage when one is given, so digests see them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from monitor.db.engine import Database
from monitor.db.items import count_items
from monitor.db.labels import relevance_overrides
from monitor.db.relevance import item_batch
from monitor.pipeline import ItemStage, StageContext
from monitor.relevance.matcher import Matcher
from monitor.relevance.stage import apply_judgement, judge_item

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    item_id: int
    title: str
    old_relevant: bool | None
    new_relevant: bool
    old_score: float | None
    new_score: float

    @property
    def direction(self) -> str:
        return "enter" if self.new_relevant else "leave"


@dataclass(frozen=True)
class Conflict:
    """A labelled item the rules judge otherwise (the label wins)."""

    item_id: int
    title: str
    label_relevant: bool
    rule_score: float


@dataclass
class RescoreSummary:
    total: int = 0
    relevant: int = 0
    entered: list[Change] = field(default_factory=list)
    left: list[Change] = field(default_factory=list)
    dry_run: bool = False
    batches: int = 0
    conflicts: list[Conflict] = field(default_factory=list)  # labels that overrule the rules


def rescore(
    db: Database,
    matcher: Matcher,
    *,
    dry_run: bool = False,
    batch_size: int = 500,
    fold_stage: ItemStage | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RescoreSummary:
    summary = RescoreSummary(dry_run=dry_run)
    with db.session() as session:
        expected = count_items(session)
    after = 0
    ctx = StageContext()
    while True:
        with db.session() as session:
            items = item_batch(session, after, batch_size)
            if not items:
                break
            overrides = relevance_overrides(session, [i.id for i in items])
            for item in items:
                judgement = judge_item(matcher, item)
                if item.id in overrides and overrides[item.id] != judgement.relevant:
                    summary.conflicts.append(
                        Conflict(item.id, item.title, overrides[item.id], judgement.score)
                    )
                    judgement = judgement.labelled(overrides[item.id])
                summary.total += 1
                summary.relevant += judgement.relevant
                if bool(item.relevant) != judgement.relevant:
                    change = Change(
                        item.id,
                        item.title,
                        item.relevant,
                        judgement.relevant,
                        item.score,
                        judgement.score,
                    )
                    (summary.entered if judgement.relevant else summary.left).append(change)
                if dry_run:
                    continue
                apply_judgement(session, item, judgement)
                if judgement.relevant and item.story_id is None and fold_stage is not None:
                    fold_stage.process(session, item, ctx)
            after = items[-1].id
        summary.batches += 1
        log.info("Rescored batch=%d items=%d dry_run=%s", summary.batches, summary.total, dry_run)
        if progress is not None:
            progress(summary.total, expected)
    return summary
