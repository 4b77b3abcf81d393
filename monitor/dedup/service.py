"""Rebuilding stories from the archive, and splitting a story by hand.

A rebuild forgets every automatic decision (stories, story events, signatures, LSH bands) and folds
all relevant items again, oldest first, with the current settings. Manual splits survive: each split
event names the items a moved item was taken away from, and the fold stage never puts them back
into one story.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from monitor.config import DedupSettings
from monitor.db import stories as db
from monitor.db.engine import Database
from monitor.db.models import Item, Story
from monitor.dedup.stage import FoldStage
from monitor.dedup.vocabulary import CopyVocabulary
from monitor.errors import MonitorError, NotFoundError
from monitor.pipeline import StageContext

log = logging.getLogger(__name__)


class StoryError(MonitorError):
    """A story command cannot be carried out (unknown story or item)."""


class StoryNotFoundError(StoryError, NotFoundError):
    """No story with that number."""


@dataclass
class RebuildResult:
    items: int = 0
    stats: Counter[str] = field(default_factory=Counter)


def rebuild(
    database: Database,
    settings: DedupSettings,
    *,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
    vocabulary: CopyVocabulary | None = None,
) -> RebuildResult:
    """Fold every relevant item again (in batches of ``batch_size`` per transaction);
    ``vocabulary`` as for :class:`~monitor.dedup.stage.FoldStage`."""
    with database.session() as session:
        db.reset_stories(session)
        ids = db.items_to_fold(session)
    stage = FoldStage(settings, vocabulary=vocabulary)
    result = RebuildResult(items=len(ids))
    ctx = StageContext(stats=result.stats)
    for start in range(0, len(ids), batch_size):
        with database.session() as session:
            for item_id in ids[start : start + batch_size]:
                item = session.get(Item, item_id)
                if item is not None:
                    stage.process(session, item, ctx)
        if progress is not None:
            progress(min(start + batch_size, len(ids)), len(ids))
    log.info("Rebuilt stories items=%d stats=%s", len(ids), dict(result.stats))
    return result


def split(database: Database, story_id: int, item_ids: Sequence[int]) -> int:
    """Move ``item_ids`` out of ``story_id`` into a new story; returns the new story's id.

    The moved items stay together; each gets a ``split`` event naming the items it was taken away
    from, which later folds and rebuilds respect.
    """
    wanted = list(dict.fromkeys(int(i) for i in item_ids))
    if not wanted:
        raise StoryError("stories: name at least one item to split off")
    with database.session() as session:
        story = session.get(Story, story_id)
        if story is None:
            raise StoryNotFoundError(f"stories: no story {story_id} (see `monitor stories list`)")
        members = db.story_member_ids(session, story_id)
        strangers = [i for i in wanted if i not in members]
        if strangers:
            raise StoryError(
                f"stories: items {', '.join(map(str, strangers))} are not in story {story_id}"
            )
        remaining = sorted(members - set(wanted))
        if not remaining:
            raise StoryError("stories: a split must leave at least one item in the story")
        items = [session.get(Item, i) for i in wanted]
        moved = [it for it in items if it is not None]
        lead = min(moved, key=lambda it: (db.item_time(it), it.id))
        new_story = db.create_story(session, lead, db.item_time(lead))  # its id
        for it in moved:
            it.story_id = new_story
            it.story_role = "lead" if it is lead else "copy"
            it.story_reason = {
                "signal": "split" if it is lead else "manual",
                "similarity": None,
                "matched_item_id": None if it is lead else lead.id,
                "detail": {"from_story": story_id},
            }
            db.record_event(
                session,
                story_id=new_story,
                item_id=it.id,
                signal="split",
                role=it.story_role,
                detail={"from_story": story_id, "apart_from": remaining},
            )
        if story.lead_item_id in wanted:
            story.lead_item_id = None
            keep = session.get(Item, remaining[0])
            if keep is not None:
                keep.story_role = "lead"
                story.lead_item_id = keep.id
        db.refresh_story(session, story_id)
        db.refresh_story(session, new_story)
        log.info("Split story=%s items=%s new_story=%s", story_id, wanted, new_story)
        return new_story
