"""Reviewer labels: an item is (not) relevant; two items are (not) the same story.

Labels are history: every one is kept with its reviewer and time, and the newest label of an item
(relevance) or of a pair (same story) is the one in force. Those in force win over the rules:

- :func:`relevance_overrides` — ``rescore`` (and the judge stage, for revised items) keep a
  labelled item's relevance whatever the topic says;
- :func:`pair_constraints` — folding (``dedup rebuild``, new items) never puts a "not the same
  story" pair into one story and puts a "same story" pair together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from monitor.db.models import Item, Label

RELEVANT, NOT_RELEVANT = "relevant", "not_relevant"
SAME_STORY, NOT_SAME_STORY = "same_story", "not_same_story"
RELEVANCE_KINDS = (RELEVANT, NOT_RELEVANT)
PAIR_KINDS = (SAME_STORY, NOT_SAME_STORY)
KINDS = RELEVANCE_KINDS + PAIR_KINDS
_RELEVANCE_CACHE = "monitor.relevance_labels"  # session.info: (transaction, labels in force)


class LabelError(ValueError):
    """A label that cannot be stored (unknown kind or item, a pair of one item)."""


@dataclass(frozen=True)
class LabelRecord:
    id: int
    kind: str
    item_id: int
    other_item_id: int | None
    reviewer: str
    created_at: datetime


def _record(row: Label) -> LabelRecord:
    return LabelRecord(
        row.id, row.kind, row.item_id, row.other_item_id, row.reviewer, row.created_at
    )


def add_label(
    session: Session,
    kind: str,
    item_id: int,
    *,
    reviewer: str,
    other_item_id: int | None = None,
    at: datetime | None = None,
) -> LabelRecord:
    """Store a label (pairs are stored with the smaller item id first)."""
    if kind not in KINDS:
        raise LabelError(f"unknown label {kind!r} (one of {', '.join(KINDS)})")
    reviewer = reviewer.strip()[:120]
    if not reviewer:
        raise LabelError("a label needs a reviewer name")
    ids = [item_id] + ([other_item_id] if other_item_id is not None else [])
    if kind in PAIR_KINDS:
        if other_item_id is None or other_item_id == item_id:
            raise LabelError("a same-story label needs two different items")
        item_id, other_item_id = sorted((item_id, other_item_id))
    elif other_item_id is not None:
        raise LabelError("a relevance label names one item")
    found = set(session.scalars(select(Item.id).where(Item.id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise LabelError(f"no item {', '.join(map(str, missing))}")
    row = Label(
        kind=kind,
        item_id=item_id,
        other_item_id=other_item_id,
        reviewer=reviewer,
        created_at=at or datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    session.info.pop(_RELEVANCE_CACHE, None)
    return _record(row)


def _latest(session: Session, kinds: Sequence[str]) -> list[Label]:
    """The newest label per item (relevance) or per pair (same story)."""
    newest = (
        select(func.max(Label.id))
        .where(Label.kind.in_(kinds))
        .group_by(Label.item_id, func.coalesce(Label.other_item_id, 0))
    )
    return list(session.scalars(select(Label).where(Label.id.in_(newest)).order_by(Label.id)))


def relevance_labels(session: Session) -> dict[int, LabelRecord]:
    """``item_id → the relevance label in force``: read once per transaction (the crawl judges
    every revised item of a batch against them), again after :func:`add_label` in it."""
    cached = session.info.get(_RELEVANCE_CACHE)
    if cached is not None and cached[0] is session.get_transaction():
        return dict(cached[1])
    labels = {row.item_id: _record(row) for row in _latest(session, RELEVANCE_KINDS)}
    session.info[_RELEVANCE_CACHE] = (session.get_transaction(), labels)
    return dict(labels)


def relevance_overrides(session: Session, item_ids: Iterable[int] | None = None) -> dict[int, bool]:
    """``item_id → relevant?`` for labelled items (all, or those among ``item_ids``)."""
    wanted = None if item_ids is None else set(item_ids)
    out: dict[int, bool] = {}
    for item_id, label in relevance_labels(session).items():
        if wanted is None or item_id in wanted:
            out[item_id] = label.kind == RELEVANT
    return out


def pair_labels(session: Session) -> dict[tuple[int, int], LabelRecord]:
    """``(smaller id, larger id) → the same-story label in force``."""
    out: dict[tuple[int, int], LabelRecord] = {}
    for row in _latest(session, PAIR_KINDS):
        assert row.other_item_id is not None
        out[(row.item_id, row.other_item_id)] = _record(row)
    return out


@dataclass(frozen=True)
class PairConstraints:
    must: dict[int, set[int]]  # item → items it must share a story with
    cannot: dict[int, set[int]]  # item → items it must never share a story with


def pair_constraints(session: Session) -> PairConstraints:
    must: dict[int, set[int]] = {}
    cannot: dict[int, set[int]] = {}
    for (a, b), label in pair_labels(session).items():
        target = must if label.kind == SAME_STORY else cannot
        target.setdefault(a, set()).add(b)
        target.setdefault(b, set()).add(a)
    return PairConstraints(must, cannot)


def list_labels(session: Session, *, limit: int = 100) -> list[LabelRecord]:
    rows = session.scalars(select(Label).order_by(Label.id.desc()).limit(limit))
    return [_record(r) for r in rows]


@dataclass(frozen=True)
class ItemLabels:
    """The labels in force that concern some items: ``relevance`` (item → label) and ``pairs``
    ((smaller id, larger id) → label) for every pair with one of the items in it."""

    relevance: dict[int, LabelRecord]
    pairs: dict[tuple[int, int], LabelRecord]

    def pair(self, a: int, b: int) -> LabelRecord | None:
        return self.pairs.get((min(a, b), max(a, b)))

    def pairs_of(self, item_id: int) -> list[tuple[int, LabelRecord]]:
        """``(other item, label)`` for every pair label in force with ``item_id``, newest first."""
        found = [
            (b if a == item_id else a, r) for (a, b), r in self.pairs.items() if item_id in (a, b)
        ]
        return sorted(found, key=lambda f: f[1].id, reverse=True)


def labels_of(session: Session, item_ids: Iterable[int]) -> ItemLabels:
    """The labels in force for ``item_ids`` (for the pages: one query, however many items)."""
    ids = sorted(set(item_ids))
    if not ids:
        return ItemLabels({}, {})
    rows = session.scalars(
        select(Label)
        .where(or_(Label.item_id.in_(ids), Label.other_item_id.in_(ids)))
        .order_by(Label.id)
    )
    relevance: dict[int, LabelRecord] = {}
    pairs: dict[tuple[int, int], LabelRecord] = {}
    for row in rows:  # oldest first: a newer label replaces an older one of the same key
        if row.kind in RELEVANCE_KINDS:
            relevance[row.item_id] = _record(row)
        elif row.other_item_id is not None:
            pairs[(row.item_id, row.other_item_id)] = _record(row)
    return ItemLabels({k: v for k, v in relevance.items() if k in ids}, pairs)
