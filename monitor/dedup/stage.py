"""FoldStage: attach each relevant item to a story as its lead, a copy or a related report.

Order of checks for a new item (first hit wins, candidates limited to the matching window):

1. exact copy — same canonical URL, same GUID within the source, or same content fingerprint
   (normalised title + boilerplate-free text, informative texts only);
2. near or reworded copy — candidates from the in-memory window
   (:class:`monitor.dedup.window.WindowIndex`: the folded items sharing the most rare stems, names,
   key figures, entities, numbers and dates), verified by :func:`monitor.dedup.match.compare_copy`;
3. related report — the same candidates, :func:`monitor.dedup.match.compare_related`;
4. otherwise a new story with the item as lead.

Stories the item links besides its own (evidence ≥ ``MERGE_SIMILARITY``) are merged into its story,
with a ``merge`` event per moved item.

Every decision is written to the item (``story_role``, ``story_reason``) and as a
:class:`~monitor.db.models.StoryEvent`. Items split apart by hand (``monitor stories split``) are
never put back together: candidates whose story holds an item split away from this one are skipped.
Several processes fold into one archive (``monitor worker``): on PostgreSQL each transaction
takes the fold lock before its first fold (:func:`monitor.db.stories.lock_folding`) and first
reads what the others folded, so two copies stored at the same moment end in one story.
Reviewer labels win over these rules: a "not the same story" pair is kept apart like a split, and
an item labelled "same story" with one already in a story joins that story (signal ``label``).
The lead is the most complete copy among the earliest ones (within ``LEAD_EARLY_HOURS``).
"""

from __future__ import annotations

import itertools
import logging
import time
import weakref
from datetime import timedelta
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from monitor.config import DedupSettings, shipped_outlets
from monitor.db import stories as db
from monitor.db.models import Item, Story
from monitor.dedup import heap
from monitor.dedup.match import (
    Doc,
    Evidence,
    best,
    compare_copy,
    compare_related,
    make_doc,
    shared_shingles,
)
from monitor.dedup.vocabulary import CopyVocabulary
from monitor.dedup.window import WindowIndex
from monitor.identity import content_fingerprint
from monitor.pipeline import StageContext

log = logging.getLogger(__name__)
LEAD_EARLY_HOURS = 12
LOAD_CHUNK = 500  # items read per query when the window is loaded
REFRESH_SECONDS = 1.0  # items other processes folded are looked for at most this often
MERGE_SIMILARITY = 0.4  # evidence this strong for two stories makes them one


def doc_from_row(row: db.FoldRow, settings: DedupSettings, vocabulary: CopyVocabulary) -> Doc:
    return make_doc(
        item_id=row.id,
        source_id=row.source_id,
        language=row.language,
        time=row.time,
        title=row.title,
        text=row.text,
        settings=settings,
        figures=row.figures,
        themes=row.themes,
        entities=row.entities,
        vocabulary=vocabulary,
    )


def own_row(
    session: Session, item: Item, judged: tuple[int, list[tuple[str, str]]] | None = None
) -> db.FoldRow:
    """The item's :class:`~monitor.db.stories.FoldRow` from the session's (flushed) copy: what
    ``load_fold_rows`` would read back; its tags are read as (kind, value) pairs only, unless
    they are loaded already or ``judged`` gives them (the judge's (item id, tags) for this item:
    what it just stored)."""
    if judged is not None and judged[0] == item.id:
        pairs = judged[1]
    elif "tags" in inspect(item).unloaded:
        pairs = db.tag_pairs(session, item.id)
    else:
        pairs = [(t.kind, t.value) for t in item.tags]
    return db.FoldRow(
        id=item.id,
        source_id=item.source_id,
        story_id=item.story_id,
        story_role=item.story_role,
        story_reason=item.story_reason,
        language=item.language,
        title=item.title,
        text=db.item_body(item),
        time=db.item_time(item),
        figures=frozenset(v for k, v in pairs if k == "figure"),
        themes=frozenset(v for k, v in pairs if k == "theme"),
        entities=frozenset(v for k, v in pairs if k == "entity"),
    )


class FoldStage:
    name = "fold"

    def __init__(
        self,
        settings: DedupSettings,
        *,
        vocabulary: CopyVocabulary | None = None,
    ) -> None:
        """``vocabulary``: from the topic and outlets (default: the shipped outlets, no topic)."""
        self.settings = settings
        self.vocabulary = vocabulary or CopyVocabulary(shipped_outlets())
        self._cannot_link: dict[int, set[int]] | None = None
        # prepared folded items of the matching window, with their candidate keys
        self.window = WindowIndex()
        self._bridges: dict[int, Evidence] = {}
        self._seen: int | None = None  # story events up to this id were read
        self._locked: weakref.ref[Any] | None = None  # the transaction holding the fold lock
        self._checked = 0.0  # when items folded by other processes were last looked for
        self._must_link: dict[int, set[int]] | None = None

    def start_run(self) -> None:
        """Read the reviewer labels and manual splits again at the next fold (they may have
        changed since the last run); the matching window stays (it follows the archive)."""
        self._cannot_link = None
        self._must_link = None

    def _fetch(self, session: Session, item_ids: list[int]) -> list[Doc]:
        docs = []
        for start in range(0, len(item_ids), LOAD_CHUNK):
            rows = db.load_fold_rows(session, item_ids[start : start + LOAD_CHUNK])
            docs += [
                doc_from_row(r, self.settings, self.vocabulary)
                for r in rows
                if r.story_id is not None
            ]
        return docs

    def _load_window(self, session: Session, doc: Doc, *, refresh: bool = False) -> None:
        """Hold every folded item within ``window_days`` of ``doc``, and those folded elsewhere
        (looked for every ``REFRESH_SECONDS``, and at once when ``refresh``)."""
        window = timedelta(days=self.settings.window_days)
        if self._seen is None:  # first item: the archive so far is read by time range below
            self._seen = db.last_event(session)
            self._checked = time.monotonic()
        elif refresh or time.monotonic() - self._checked >= REFRESH_SECONDS:
            self._checked = time.monotonic()
            folded, self._seen = db.folded_since(session, self._seen)
            fresh = [i for i in folded if i not in self.window]
            for d in self._fetch(session, fresh):
                self.window.add(d)
        self.window.trim(doc.time - window, doc.time + window)
        held = len(self.window)
        self.window.load(
            doc.time - window,
            doc.time + window,
            lambda lo, hi: self._fetch(
                session, [i for i in db.folded_between(session, lo, hi) if i not in self.window]
            ),
        )
        if len(self.window) - held >= heap.SETTLE_AFTER:
            heap.settle()  # the loaded items stay out of later collections

    # ------------------------------------------------------------------ entry point

    def process(self, session: Session, item: Item, ctx: StageContext) -> None:
        if item.relevant is False:
            return
        locked_now = self._serialise(session)
        if inspect(item).pending:
            session.flush()
        # The item's own pending changes (the judge's) are written with its story, in one
        # UPDATE: nothing matching reads from the database is about this item's row.
        with session.no_autoflush:  # each step flushes what the next one reads
            self._fold(session, item, ctx, refresh=locked_now)
        session.flush()  # the next item's queries see this one's story

    def _serialise(self, session: Session) -> bool:
        """PostgreSQL: take the fold lock for this transaction, once (:func:`db.lock_folding`);
        True when it was taken just now (what others folded meanwhile must be read)."""
        if session.get_bind().dialect.name != "postgresql":
            return False
        txn = session.get_transaction()
        if txn is not None and self._locked is not None and self._locked() is txn:
            return False
        db.lock_folding(session)
        self._locked = weakref.ref(txn) if txn is not None else None
        return True

    def _fold(self, session: Session, item: Item, ctx: StageContext, *, refresh: bool) -> None:
        doc = doc_from_row(own_row(session, item, ctx.judged_tags), self.settings, self.vocabulary)
        if item.content_hash is None:
            item.content_hash = content_fingerprint(
                item.title, doc.body.body, self.vocabulary.outlets
            )
        self._load_window(session, doc, refresh=refresh)
        self._signature(session, doc, fresh=item.story_id is None)
        if item.story_id is not None:  # a revision
            if self._regroup(session, item, doc, ctx):
                return
            self.window.add(doc)  # keep its story, refresh the index
            db.refresh_story(session, item.story_id)
            ctx.stats["fold/revised"] += 1
            return
        role, evidence, story_id = self._decide(session, item, doc)
        self.window.add(doc)
        if evidence is None or story_id is None:
            new_story = db.create_story(session, item, doc.time)
            self._attach(session, item, new_story, "lead", None)
            ctx.stats["fold/new_story"] += 1
            return
        self._attach(session, item, story_id, role, evidence)
        merged = self._merge_bridged(session, item, story_id)
        if merged:
            ctx.stats["fold/merged"] += merged
        if role == "copy":
            ctx.stats["fold/copies"] += 1
            self._choose_lead(session, story_id)
        else:
            ctx.stats["fold/related"] += 1
        db.refresh_story(session, story_id)
        log.debug(
            "Folded item=%s story=%s role=%s signal=%s similarity=%s",
            item.id,
            story_id,
            role,
            evidence.signal,
            evidence.similarity,
        )

    def _regroup(self, session: Session, item: Item, doc: Doc, ctx: StageContext) -> bool:
        """A revised item alone in its story (typically stored with its feed's teaser, its
        article text attached later) is matched again as a new item would be: when its new
        text finds its story elsewhere, its own story is merged into that one. An item that
        shares its story with others keeps it, and other stories its new text links strongly
        are merged into it, as a new item's bridges are. Returns whether the item moved."""
        own = item.story_id
        if own is None:
            return False
        alone = db.story_member_ids(session, own) == {item.id}
        self.window.remove(item.id)  # matched as a new item: not against its earlier text
        role, evidence, story_id = self._decide(session, item, doc)
        self.window.add(doc)
        if not alone:
            if merged := self._merge_bridged(session, item, own):
                ctx.stats["fold/merged"] += merged
            return False
        if evidence is None or story_id is None or story_id == own:
            return False
        db.merge_story(
            session,
            into=story_id,
            other=own,
            item_id=evidence.matched_item_id,
            matched_item_id=item.id,
            similarity=evidence.similarity,
            detail={"signal": evidence.signal, "why": "matched again with its new text"},
        )
        self._attach(session, item, story_id, role, evidence)
        merged = self._merge_bridged(session, item, story_id)
        if role == "copy":
            self._choose_lead(session, story_id)
        db.refresh_story(session, story_id)
        ctx.stats["fold/regrouped"] += 1
        ctx.stats["fold/merged"] += merged
        return True

    # ------------------------------------------------------------------ matching

    def _signature(self, session: Session, doc: Doc, *, fresh: bool = False) -> None:
        """Record the item as indexed for matching: what it is matched by (text shingles, or
        title words and word pairs for a short item), how many, and its matching time (the
        window is read by it). ``fresh``: nothing recorded yet. Matching reads the prepared items
        of the window, never a MinHash: none is computed (the column holds an empty value)."""
        if doc.informative:
            kind, grams = "text", doc.body.shingles
        else:
            words = doc.title_norm.split()
            grams = frozenset(words) | {f"{a} {b}" for a, b in itertools.pairwise(words)}
            kind = "title"
        db.save_signature(
            session,
            item_id=doc.item_id,
            kind=kind,
            minhash=b"",
            shingles=len(grams),
            time=doc.time,
            bands=(),
            fresh=fresh,
        )

    def _blocked(self, session: Session, item_id: int) -> set[int]:
        if self._cannot_link is None:
            self._cannot_link = db.cannot_link(session)
        return self._cannot_link.get(item_id, set())

    def _labelled(
        self, session: Session, item_id: int, blocked: set[int]
    ) -> tuple[str, Evidence, int] | None:
        """A reviewer said "same story" of this item and one already in a story: join it."""
        if self._must_link is None:
            self._must_link = db.must_link(session)
        partners = self._must_link.get(item_id)
        if not partners:
            return None
        for row in db.load_fold_rows(session, sorted(partners)):
            if row.story_id is not None and self._allowed(session, row.story_id, blocked):
                return "related", Evidence("label", 1.0, row.id), row.story_id
        return None

    def _allowed(self, session: Session, story_id: int | None, blocked: set[int]) -> bool:
        if story_id is None:
            return False
        return not blocked or not (db.story_member_ids(session, story_id) & blocked)

    def _decide(
        self, session: Session, item: Item, doc: Doc
    ) -> tuple[str, Evidence | None, int | None]:
        s = self.settings
        self._bridges = {}
        blocked = self._blocked(session, item.id)
        if (labelled := self._labelled(session, item.id, blocked)) is not None:
            return labelled
        exact = db.exact_matches(
            session,
            item_id=item.id,
            canonical_url=item.canonical_url,
            source_id=item.source_id,
            guid=item.guid,
            content_hash=item.content_hash if doc.informative else None,
        )
        if exact:
            for row in db.load_fold_rows(session, [i for i, _ in exact]):
                if self._allowed(session, row.story_id, blocked):
                    signal = next(sig for i, sig in exact if i == row.id)
                    return "copy", Evidence(signal, 1.0, row.id), row.story_id
        window = timedelta(days=s.window_days)
        found = self.window.candidates(doc, doc.time - window, doc.time + window, s.max_candidates)
        stories = db.story_ids(session, found)
        allowed = {
            i: story
            for i, story in stories.items()
            if self._allowed(session, story, blocked) and i in self.window
        }
        docs = [self.window.docs[i] for i in found if i in allowed]
        stats = self.window.stats
        shared = [shared_shingles(doc, d) for d in docs]
        copies = [
            e
            for d, n in zip(docs, shared, strict=True)
            if (e := compare_copy(doc, d, s, stats, shared=n))
        ]
        related = [
            e
            for d, n in zip(docs, shared, strict=True)
            if (e := compare_related(doc, d, s, stats, shared=n))
        ]
        self._bridges = _bridges(copies + related, allowed)
        if (top := best(copies)) is not None:
            return "copy", top, allowed[top.matched_item_id]
        if (top := best(related)) is not None:
            return "related", top, allowed[top.matched_item_id]
        return "lead", None, None

    def _merge_bridged(self, session: Session, item: Item, story_id: int) -> int:
        """Stories this item links besides its own are one event: merge them into its story
        (unless a manual split keeps their items apart). Returns how many stories were merged."""
        merged = 0
        bridged = {
            other: evidence
            for other, evidence in self._bridges.items()
            if other != story_id and evidence.similarity >= MERGE_SIMILARITY
        }
        if not bridged:
            return 0
        own = db.story_member_ids(session, story_id)
        for other, evidence in sorted(bridged.items()):
            members = db.story_member_ids(session, other)
            if any(self._blocked(session, m) & own for m in members):
                continue
            moved = db.merge_story(
                session,
                into=story_id,
                other=other,
                item_id=item.id,
                matched_item_id=evidence.matched_item_id,
                similarity=evidence.similarity,
                detail={"signal": evidence.signal, **evidence.detail},
            )
            own.update(moved)
            merged += 1
        return merged

    # ------------------------------------------------------------------ writing

    def _attach(
        self, session: Session, item: Item, story_id: int, role: str, evidence: Evidence | None
    ) -> None:
        item.story_id = story_id
        item.story_role = role
        if evidence is None:
            item.story_reason = {"signal": "new_story", "similarity": None, "matched_item_id": None}
            db.record_event(
                session, story_id=story_id, item_id=item.id, signal="new_story", role=role
            )
            return
        item.story_reason = {
            "signal": evidence.signal,
            "similarity": evidence.similarity,
            "matched_item_id": evidence.matched_item_id,
            "detail": evidence.detail,
        }
        db.record_event(
            session,
            story_id=story_id,
            item_id=item.id,
            role=role,
            signal=evidence.signal,
            similarity=evidence.similarity,
            matched_item_id=evidence.matched_item_id,
            detail=evidence.detail,
        )

    def _choose_lead(self, session: Session, story_id: int) -> None:
        """The most complete item among the earliest copies of the lead becomes the lead."""
        lead_id = db.story_lead_id(session, story_id)
        if lead_id is None:
            return
        session.flush()
        members = {m.id: m for m in db.story_lead_rows(session, story_id)}
        group = [m for m in members.values() if _root(m.id, members) == lead_id]
        if len(group) < 2:
            return
        earliest = min(m.time for m in group)
        early = [m for m in group if m.time <= earliest + timedelta(hours=LEAD_EARLY_HOURS)]
        pick = min(early, key=lambda m: (-m.length, m.time, m.id))
        if pick.id == lead_id:
            return
        story = session.get(Story, story_id)
        old_lead = session.get(Item, lead_id)
        new_lead = session.get(Item, pick.id)
        if story is None or old_lead is None or new_lead is None:
            return
        reason = dict(new_lead.story_reason or {})
        old_lead.story_role = "copy"
        old_lead.story_reason = {**reason, "matched_item_id": new_lead.id}
        new_lead.story_role = "lead"
        new_lead.story_reason = {"signal": "lead", "similarity": None, "matched_item_id": None}
        story.lead_item_id = new_lead.id
        story.title = new_lead.title
        db.record_event(
            session,
            story_id=story_id,
            item_id=new_lead.id,
            signal="lead",
            role="lead",
            matched_item_id=old_lead.id,
            detail={"previous_lead": old_lead.id, "why": "more complete early copy"},
        )


def _bridges(evidence: list[Evidence], story_of: dict[int, int]) -> dict[int, Evidence]:
    """The strongest evidence per story."""
    out: dict[int, Evidence] = {}
    for e in evidence:
        story = story_of[e.matched_item_id]
        if story not in out or e.similarity > out[story].similarity:
            out[story] = e
    return out


def _root(item_id: int, members: dict[int, db.LeadRow]) -> int:
    """Follow copy links (copy → the item it copies) up to a lead or related item."""
    seen: set[int] = set()
    current = item_id
    while current in members and current not in seen:
        seen.add(current)
        m = members[current]
        if m.story_role != "copy":
            return current
        nxt = (m.story_reason or {}).get("matched_item_id")
        if nxt is None:
            return current
        current = int(nxt)
    return current
