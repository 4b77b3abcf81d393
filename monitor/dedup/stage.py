"""FoldStage: attach each relevant item to a story as its lead, a copy or a related report.

Order of checks for a new item (first hit wins, candidates limited to the matching window):

1. exact copy — same canonical URL, same GUID within the source, or same content fingerprint
   (normalised title + boilerplate-free text, informative texts only);
2. near copy — candidates from the LSH bands (``dedup_bands``, text and title signatures), the
   same title key and shared key-figure or specific entity tags, verified by
   :func:`monitor.dedup.match.compare_copy`;
3. related report — the same candidates, :func:`monitor.dedup.match.compare_related`;
4. otherwise a new story with the item as lead.

Every decision is written to the item (``story_role``, ``story_reason``) and as a
:class:`~monitor.db.models.StoryEvent`. Items split apart by hand (``monitor stories split``) are
never put back together: candidates whose story holds an item split away from this one are skipped.
Reviewer labels win over these rules: a "not the same story" pair is kept apart like a split, and
an item labelled "same story" with one already in a story joins that story (signal ``label``).
The lead is the most complete copy among the earliest ones (within ``LEAD_EARLY_HOURS``).
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from monitor.config import DedupSettings
from monitor.db import stories as db
from monitor.db.models import Item, Story
from monitor.dedup.match import Doc, Evidence, best, compare_copy, compare_related, make_doc
from monitor.dedup.minhash import MinHasher, to_bytes
from monitor.identity import content_fingerprint
from monitor.pipeline import StageContext

log = logging.getLogger(__name__)
LEAD_EARLY_HOURS = 12
DOC_CACHE_SIZE = 4096  # prepared candidate documents kept between items
ENTITY_CANDIDATES = 10  # cross-language candidates sharing a specific entity, most shared first


def doc_from_row(
    row: db.FoldRow, settings: DedupSettings, generic: frozenset[str] = frozenset()
) -> Doc:
    """``generic``: entity names too broad to identify an event (``generic: true`` in the topic)."""
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
        generic=generic,
    )


def own_row(item: Item) -> db.FoldRow:
    """The item's :class:`~monitor.db.stories.FoldRow` from the session's (flushed) copy: what
    ``load_fold_rows`` would read back, without the two queries."""
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
        figures=frozenset(t.value for t in item.tags if t.kind == "figure"),
        themes=frozenset(t.value for t in item.tags if t.kind == "theme"),
        entities=frozenset(t.value for t in item.tags if t.kind == "entity"),
    )


class FoldStage:
    name = "fold"

    def __init__(
        self,
        settings: DedupSettings,
        hasher: MinHasher | None = None,
        *,
        generic_entities: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.generic_entities = generic_entities
        self.hasher = hasher or MinHasher(settings.num_perm, settings.lsh_rows)
        self._cannot_link: dict[int, set[int]] | None = None
        self._must_link: dict[int, set[int]] | None = None
        # prepared candidates: during a crawl the same recent items are compared again and again
        self._docs: OrderedDict[tuple[Any, ...], Doc] = OrderedDict()

    def _candidate_doc(self, row: db.FoldRow) -> Doc:
        """``doc_from_row`` for a stored candidate, memoised on everything the doc depends on."""
        key = (row.id, row.title, row.text, row.time, row.figures, row.themes, row.entities)
        doc = self._docs.get(key)
        if doc is None:
            doc = doc_from_row(row, self.settings, self.generic_entities)
            self._docs[key] = doc
            if len(self._docs) > DOC_CACHE_SIZE:
                self._docs.popitem(last=False)
        else:
            self._docs.move_to_end(key)
        return doc

    # ------------------------------------------------------------------ entry point

    def process(self, session: Session, item: Item, ctx: StageContext) -> None:
        if item.relevant is False:
            return
        session.flush()
        doc = doc_from_row(own_row(item), self.settings, self.generic_entities)
        if item.content_hash is None:
            item.content_hash = content_fingerprint(item.title, doc.body.body)
        bands = self._signature(session, doc)
        if item.story_id is not None:  # a revision: keep its story, refresh the index
            db.refresh_story(session, item.story_id)
            ctx.stats["fold/revised"] += 1
            return
        role, evidence, story_id = self._decide(session, item, doc, bands)
        if evidence is None or story_id is None:
            story = db.create_story(session, item, doc.time)
            self._attach(session, item, story.id, "lead", None)
            ctx.stats["fold/new_story"] += 1
            return
        self._attach(session, item, story_id, role, evidence)
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

    # ------------------------------------------------------------------ matching

    def _signature(self, session: Session, doc: Doc) -> list[int]:
        title_grams = set(doc.title_norm.split())
        words = doc.title_norm.split()
        title_grams |= {f"{a} {b}" for a, b in itertools.pairwise(words)}
        title_sig = self.hasher.signature(sorted(title_grams))
        bands = [int(h) for h in self.hasher.band_hashes(title_sig, "title")] if title_grams else []
        if doc.informative:
            text_sig = self.hasher.signature(sorted(doc.body.shingles))
            bands += [int(h) for h in self.hasher.band_hashes(text_sig, "text")]
            kind, sig, count = "text", text_sig, len(doc.body.shingles)
        else:
            kind, sig, count = "title", title_sig, len(title_grams)
        db.save_signature(
            session,
            item_id=doc.item_id,
            kind=kind,
            minhash=to_bytes(sig),
            shingles=count,
            time=doc.time,
            bands=bands,
        )
        return bands

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
        self, session: Session, item: Item, doc: Doc, bands: list[int]
    ) -> tuple[str, Evidence | None, int | None]:
        s = self.settings
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
        lo, hi = doc.time - window, doc.time + window
        found: set[int] = set()
        found.update(
            db.band_candidates(session, bands, lo, hi, exclude=item.id, limit=s.max_candidates)
        )
        if item.title_key:
            found.update(
                db.title_key_candidates(
                    session, item.title_key, lo, hi, exclude=item.id, limit=s.max_candidates
                )
            )
        rel = timedelta(hours=s.related_window_hours)
        found.update(
            db.figure_candidates(
                session,
                doc.figures,
                doc.time - rel,
                doc.time + rel,
                exclude=item.id,
                limit=s.max_candidates,
            )
        )
        # entities link only across languages (doc.entities leaves out the generic ones)
        found.update(
            db.entity_candidates(
                session,
                doc.entities,
                doc.time - rel,
                doc.time + rel,
                exclude=item.id,
                limit=min(s.max_candidates, ENTITY_CANDIDATES),
                other_than_language=doc.language,
            )
        )
        rows = [r for r in db.load_fold_rows(session, found) if r.story_id is not None]
        rows = [r for r in rows if self._allowed(session, r.story_id, blocked)]
        docs = {r.id: (r, self._candidate_doc(r)) for r in rows}
        copies = [e for _, d in docs.values() if (e := compare_copy(doc, d, s))]
        if (top := best(copies)) is not None:
            return "copy", top, docs[top.matched_item_id][0].story_id
        related = [e for _, d in docs.values() if (e := compare_related(doc, d, s))]
        if (top := best(related)) is not None:
            return "related", top, docs[top.matched_item_id][0].story_id
        return "lead", None, None

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
        story = session.get(Story, story_id)
        if story is None or story.lead_item_id is None:
            return
        session.flush()
        members = {m.id: m for m in db.story_members(session, story_id)}
        group = [m for m in members.values() if _root(m.id, members) == story.lead_item_id]
        if len(group) < 2:
            return
        earliest = min(m.time for m in group)
        early = [m for m in group if m.time <= earliest + timedelta(hours=LEAD_EARLY_HOURS)]
        pick = min(early, key=lambda m: (-len(m.text), m.time, m.id))
        if pick.id == story.lead_item_id:
            return
        old_lead = session.get(Item, story.lead_item_id)
        new_lead = session.get(Item, pick.id)
        if old_lead is None or new_lead is None:
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


def _root(item_id: int, members: dict[int, db.FoldRow]) -> int:
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
