"""Storing a reviewer's label and applying it to the archive at once.

- relevant / not relevant: the item's ``relevant`` flag follows the label (score and terms stay
  the rules'; the explanation records the label). An item labelled relevant that belongs to no
  story is folded, so digests and alerts see it;
- same story: the second item moves into the first one's story (signal ``label``);
- not the same story: when both share a story, the second is split off (as ``stories split``).

Later ``rescore`` and ``dedup rebuild`` runs keep these decisions (:mod:`monitor.db.labels`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from monitor.db import labels as q
from monitor.db import stories as sdb
from monitor.db.engine import Database
from monitor.db.models import Item
from monitor.dedup.service import split
from monitor.dedup.stage import FoldStage
from monitor.errors import InputError
from monitor.explanation import Explanation, explanation_to_json, read_stored
from monitor.pipeline import StageContext

log = logging.getLogger(__name__)


def _store(
    db: Database, kind: str, item_id: int, reviewer: str, other: int | None = None
) -> q.LabelRecord:
    try:
        with db.session() as s:
            return q.add_label(s, kind, item_id, reviewer=reviewer, other_item_id=other)
    except q.LabelError as exc:
        raise InputError(f"label: {exc}") from None


def label_relevance(
    db: Database,
    item_id: int,
    relevant: bool,
    *,
    reviewer: str,
    fold: FoldStage | None = None,
) -> q.LabelRecord:
    record = _store(db, q.RELEVANT if relevant else q.NOT_RELEVANT, item_id, reviewer)
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        item.relevant = relevant
        stored = read_stored(item.explanation)
        if isinstance(stored, Explanation):
            labelled = stored.labelled(relevant, reviewer=reviewer)
            item.explanation = explanation_to_json(labelled)
        # an unreadable (or missing) explanation stays as it is: `monitor rescore` rewrites it,
        # keeping the label, which is stored on its own
        if relevant and item.story_id is None and fold is not None:
            fold.process(s, item, StageContext())
    log.info("Labelled item=%d relevant=%s reviewer=%s", item_id, relevant, reviewer)
    return record


def label_pair(
    db: Database, item_id: int, other_id: int, same: bool, *, reviewer: str
) -> q.LabelRecord:
    record = _store(db, q.SAME_STORY if same else q.NOT_SAME_STORY, item_id, reviewer, other_id)
    with db.session() as s:
        first, second = s.get(Item, item_id), s.get(Item, other_id)
        assert first is not None
        assert second is not None
        story_a, story_b = first.story_id, second.story_id
    if same and story_a is not None and story_a != story_b:
        _join(db, other_id, story_a, item_id, reviewer)
    elif same and story_a is None and story_b is not None:
        _join(db, item_id, story_b, other_id, reviewer)
    elif not same and story_a is not None and story_a == story_b:
        split(db, story_a, [other_id])
    log.info("Labelled items=%d,%d same_story=%s reviewer=%s", item_id, other_id, same, reviewer)
    return record


def _join(db: Database, item_id: int, story_id: int, partner: int, reviewer: str) -> None:
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        old = item.story_id
        item.story_id = story_id
        item.story_role = "related"
        item.story_reason = {
            "signal": "label",
            "similarity": 1.0,
            "matched_item_id": partner,
            "detail": {"reviewer": reviewer, "at": datetime.now(UTC).isoformat()},
        }
        sdb.record_event(
            s,
            story_id=story_id,
            item_id=item_id,
            signal="label",
            role="related",
            similarity=1.0,
            matched_item_id=partner,
            detail={"reviewer": reviewer, "from_story": old},
        )
        if old is not None:
            sdb.refresh_story(s, old)
        sdb.refresh_story(s, story_id)
