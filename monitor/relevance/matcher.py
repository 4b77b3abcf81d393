"""Scoring one item against a topic.

An item is relevant when the two sides' *interaction* is a main subject, not when both countries
merely appear. Evaluation order:

1. Detect the language (:mod:`monitor.relevance.language`; the declared one is a hint).
2. Tokenise title and body (paragraphs → sentences) and find every term of the topic in one pass.
3. Points (all in the topic's ``weights``):
   - title: a bilateral form → ``title_bilateral``; both sides → ``title_pair`` × the weaker
     side's weight; one side → ``title_one_side`` (plus ``title_cross`` when the other side is in
     the lead sentences of the body);
   - each body sentence: a bilateral form → ``sentence_bilateral``; both sides →
     ``sentence_pair`` × the weaker weight; lead sentences × ``lead_factor``;
   - a paragraph naming both sides only in different sentences → ``paragraph_pair``;
   - both sides somewhere but never together → ``document_pair``;
   - body points are capped at ``body_cap``.
4. Negative contexts: a title or sentence naming at least ``list_mention.min_countries`` countries
   (both sides included) keeps only ``list_mention.factor`` of its points; an item with enough
   sports vocabulary is multiplied by ``sports.factor``; each matching ``negatives.custom`` query
   multiplies by its factor.
5. Rules: each matching include rule adds its points (default: the threshold); each matching
   exclude rule subtracts its points (default: everything).
6. Relevant when the score reaches the threshold. Themes (points from title and body evidence
   reaching ``theme_min``), key figures and entities are recorded with their evidence either way;
   the pipeline stores tags for relevant items only. Entity terms share the one index pass but
   never add points, change the relevant flag, themes or figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from monitor.query import Node, Prepared, evaluate, parse_query
from monitor.relevance.language import detect_language
from monitor.relevance.terms import Document, RawHit, TermIndex, tokenise
from monitor.relevance.topic import Topic

EXPLANATION_VERSION = 1
MAX_EVIDENCE = 3
MAX_POINT_TEXTS = 8
LANGUAGE_SAMPLE = 1200


@dataclass(frozen=True)
class TermRef:
    category: str  # side | bilateral | theme | country | sports | entity
    key: str  # side name, theme name, country name, "sports", entity name
    term: str
    lang: str
    weight: float = 1.0
    label: str = ""  # group kind, or the figure's name
    figure: str | None = None


@dataclass(frozen=True)
class Evidence:
    term: str
    form: str
    where: str  # title | body
    snippet: str

    def as_dict(self) -> dict[str, str]:
        return {"term": self.term, "form": self.form, "where": self.where, "snippet": self.snippet}


@dataclass
class Judgement:
    relevant: bool
    score: float
    threshold: float
    language: str
    themes: dict[str, list[Evidence]] = field(default_factory=dict)
    figures: dict[str, list[Evidence]] = field(default_factory=dict)
    explanation: dict[str, Any] = field(default_factory=dict)
    entities: dict[str, list[Evidence]] = field(default_factory=dict)


class _Segments:
    """What the title and body sentences name, by segment index (only segments naming something)."""

    __slots__ = ("bilateral", "countries", "sides")

    def __init__(self) -> None:
        self.sides: dict[int, dict[str, float]] = {}  # side → strongest weight named
        self.bilateral: set[int] = set()  # segments with a bilateral form
        self.countries: dict[int, set[str]] = {}  # list-mention countries named


_NO_SIDES: dict[str, float] = {}
_NO_COUNTRIES: frozenset[str] = frozenset()


def _snippet(tokens: list[str], pos: int, width: int = 8) -> str:
    lo = pos - width if pos > width else 0
    hi = pos + width + 1
    text = " ".join(tokens[lo:hi])
    if lo:
        text = "… " + text
    if hi < len(tokens):
        text += " …"
    return text


class Matcher:
    """A compiled topic. Thread-safe after construction (no state changes while judging)."""

    def __init__(self, topic: Topic, *, threshold: float | None = None) -> None:
        self.topic = topic
        self.threshold = topic.threshold if threshold is None else threshold
        self.side_names = topic.side_names
        self.index = TermIndex(topic.endings)
        for sname, side in topic.sides.items():
            for group in side.groups:
                for lang, terms in group.terms.items():
                    for t in terms:
                        self.index.add(t, TermRef("side", sname, t, lang, group.weight, group.kind))
            for fig in side.figures:
                for lang, terms in fig.terms.items():
                    for t in terms:
                        ref = TermRef("side", sname, t, lang, fig.weight, fig.name, fig.name)
                        self.index.add(t, ref)
        for lang, terms in topic.bilateral.terms.items():
            for t in terms:
                self.index.add(t, TermRef("bilateral", "bilateral", t, lang))
        for tname, theme in topic.themes.items():
            for lang, terms in theme.terms.items():
                for t in terms:
                    self.index.add(t, TermRef("theme", tname, t, lang))
        for lang, entries in topic.negatives.list_mention.countries.items():
            for entry in entries:
                alternatives = [a.strip() for a in entry.split("|") if a.strip()]
                for t in alternatives:
                    self.index.add(t, TermRef("country", alternatives[0], t, lang))
        for lang, terms in topic.negatives.sports.terms.items():
            for t in terms:
                self.index.add(t, TermRef("sports", "sports", t, lang))
        for entity in topic.entities:
            for lang, terms in entity.terms.items():
                for t in terms:
                    self.index.add(t, TermRef("entity", entity.name, t, lang, 0.0, entity.kind))
        # Per term id: (category, key, weight, figure), unpacked once per hit while judging.
        self._plan: list[tuple[str, str, float, str | None]] = [
            (ref.category, ref.key, ref.weight, ref.figure)
            for ref in self.index.payloads
            if isinstance(ref, TermRef)
        ]
        self._term_texts: list[str] = [ref.term for ref in self.index.payloads]  # type: ignore[attr-defined]
        self.custom: list[tuple[str, Node, float]] = [
            (c.name, parse_query(c.query), c.factor) for c in topic.negatives.custom
        ]
        self.include: list[tuple[str, Node, float]] = [
            (r.name, parse_query(r.query), self.threshold if r.points is None else r.points)
            for r in topic.rules.include
        ]
        self.exclude: list[tuple[str, Node, float | None]] = [
            (r.name, parse_query(r.query), r.points) for r in topic.rules.exclude
        ]

    # ------------------------------------------------------------------ public

    def judge(
        self,
        title: str,
        text: str,
        declared_language: str | None = None,
        *,
        source: str | None = None,
    ) -> Judgement:
        """Score an item. ``source`` (the outlet's name) is only for rules with ``source:``."""
        detection = detect_language(f"{title}\n{text[:LANGUAGE_SAMPLE]}", declared_language)
        doc = tokenise(title, text)
        hits = self.index.scan(doc)
        refs: list[TermRef] = self.index.payloads  # type: ignore[assignment]
        plan = self._plan
        w = self.topic.weights
        segs = _Segments()
        seg_sides = segs.sides
        seg_countries = segs.countries
        side_ev: dict[str, list[RawHit]] = {}
        theme_hits: dict[str, list[RawHit]] = {}
        figure_hits: dict[str, list[RawHit]] = {}
        sports_hits: list[RawHit] = []
        entity_hits: dict[str, list[RawHit]] = {}
        # Hits grouped by side (or "bilateral"), theme and figure, each list in document order.
        for hit in hits:
            category, key, weight, figure = plan[hit[0]]
            s = hit[1]
            if category == "side":
                named = seg_sides.get(s)
                if named is None:
                    seg_sides[s] = {key: weight}
                elif weight > named.get(key, 0.0):
                    named[key] = weight
                group = side_ev.get(key)
                if group is None:
                    side_ev[key] = [hit]
                else:
                    group.append(hit)
                if figure:
                    group = figure_hits.get(figure)
                    if group is None:
                        figure_hits[figure] = [hit]
                    else:
                        group.append(hit)
            elif category == "theme":
                group = theme_hits.get(key)
                if group is None:
                    theme_hits[key] = [hit]
                else:
                    group.append(hit)
            elif category == "country":
                countries = seg_countries.get(s)
                if countries is None:
                    seg_countries[s] = {key}
                else:
                    countries.add(key)
            elif category == "bilateral":
                segs.bilateral.add(s)
                side_ev.setdefault("bilateral", []).append(hit)
            elif category == "sports":
                sports_hits.append(hit)
            else:
                group = entity_hits.get(key)
                if group is None:
                    entity_hits[key] = [hit]
                else:
                    group.append(hit)

        points: list[dict[str, Any]] = []
        penalties: list[dict[str, Any]] = []
        a, b = self.side_names
        both = {a, b}
        list_min = self.topic.negatives.list_mention.min_countries
        list_factor = self.topic.negatives.list_mention.factor

        def is_list(s: int) -> bool:
            named = seg_sides.get(s, _NO_SIDES)
            countries = segs.countries.get(s, _NO_COUNTRIES)
            return len(countries) + (a in named) + (b in named) >= list_min

        def pair(named: dict[str, float]) -> float:
            if a in named and b in named:
                return min(named[a], named[b])
            return 0.0

        # title
        tsides = seg_sides.get(0, _NO_SIDES)
        tbilateral = 0 in segs.bilateral
        title_points = 0.0
        reason = ""
        if tbilateral:
            title_points, reason = w.title_bilateral, "title_bilateral"
        elif pair(tsides):
            title_points, reason = w.title_pair * pair(tsides), "title_pair"
        elif tsides:
            title_points, reason = w.title_one_side * max(tsides.values()), "title_one_side"
            lead_sides = {
                k
                for s, named in seg_sides.items()
                if 0 < s <= w.lead_sentences
                for k in named
                if k in both
            }
            if both <= (lead_sides | tsides.keys()):
                title_points += w.title_cross
                reason = "title_one_side+lead_other_side"
        if title_points:
            if reason != "title_one_side" and is_list(0):
                penalties.append(self._list_penalty(doc, 0, segs))
                title_points *= list_factor
            points.append({"reason": reason, "where": "title", "points": round(title_points, 3)})

        # body sentences and paragraphs (only sentences naming a side or a bilateral form count)
        body = 0.0
        para_sides: dict[int, set[str]] = {}
        para_paired: set[int] = set()
        any_pair = bool(tbilateral or pair(tsides))
        named_segments = seg_sides.keys() | segs.bilateral
        named_segments.discard(0)
        for s in sorted(named_segments):
            named = seg_sides.get(s, _NO_SIDES)
            seg = doc.segments[s]
            if named:
                if seg.paragraph in para_sides:
                    para_sides[seg.paragraph].update(named)
                else:
                    para_sides[seg.paragraph] = set(named)
            pts, why = 0.0, ""
            if s in segs.bilateral:
                pts, why = w.sentence_bilateral, "sentence_bilateral"
            elif a in named and b in named:
                pts, why = w.sentence_pair * min(named[a], named[b]), "sentence_pair"
            if not pts:
                continue
            any_pair = True
            para_paired.add(seg.paragraph)
            if seg.sentence < w.lead_sentences:
                pts *= w.lead_factor
                why += "+lead"
            if is_list(s):
                penalties.append(self._list_penalty(doc, s, segs))
                pts *= list_factor
            body += pts
            entry: dict[str, Any] = {
                "reason": why,
                "where": f"sentence {seg.sentence + 1}",
                "points": round(pts, 3),
            }
            if len(points) < MAX_POINT_TEXTS:
                entry["text"] = _snippet(seg.tokens, 0, 30)
            points.append(entry)
        for p, sides in sorted(para_sides.items()):
            if p not in para_paired and both <= sides:
                any_pair = True
                body += w.paragraph_pair
                points.append(
                    {
                        "reason": "paragraph_pair",
                        "where": f"paragraph {p + 1}",
                        "points": w.paragraph_pair,
                    }
                )
        doc_sides = side_ev.keys() & both
        if not any_pair and doc_sides == both:
            body += w.document_pair
            points.append({"reason": "document_pair", "where": "body", "points": w.document_pair})
        if body > w.body_cap:
            points.append({"reason": "body_cap", "where": "body", "points": w.body_cap - body})
            body = w.body_cap
        score = title_points + body

        # negative contexts
        sports = self.topic.negatives.sports
        # each sports term in the title counts twice, a body sentence with sports terms once: a
        # paragraph on a match in another story is not a sports item
        sports_points = 2 * len({h[0] for h in sports_hits if h[1] == 0}) + len(
            {h[1] for h in sports_hits if h[1] != 0}
        )
        if sports_hits and sports_points >= sports.min_hits and score:
            score *= sports.factor
            penalties.append(
                {
                    "reason": "sports",
                    "factor": sports.factor,
                    "terms": sorted({h[3] for h in sports_hits})[:MAX_EVIDENCE],
                }
            )
        themes = self._themes(doc, theme_hits, refs)
        figures = {name: self._evidence(doc, hs, refs) for name, hs in sorted(figure_hits.items())}
        entities = {name: self._evidence(doc, hs, refs) for name, hs in sorted(entity_hits.items())}
        prepared: Prepared | None = None
        if self.custom or self.include or self.exclude:
            title_words = [t for t in doc.segments[0].tokens if t[0].isalnum() or t[0] == "_"]
            prepared = Prepared.from_tokens(
                doc.words(),
                title=title_words,
                properties={
                    "lang": [detection.code],
                    "source": [source] if source else [],
                    "theme": list(themes),
                    "figure": list(figures),
                    "entity": list(entities),
                },
            )
        for name, node, factor in self.custom:
            assert prepared is not None
            if score and evaluate(node, prepared):
                score *= factor
                penalties.append({"reason": f"custom:{name}", "factor": factor})
        rules: list[dict[str, Any]] = []
        for name, node, add in self.include:
            assert prepared is not None
            if evaluate(node, prepared):
                score += add
                rules.append({"rule": name, "kind": "include", "points": add})
        for name, node, sub in self.exclude:
            assert prepared is not None
            if evaluate(node, prepared):
                taken = score if sub is None else sub
                score = max(0.0, score - taken)
                rules.append({"rule": name, "kind": "exclude", "points": -round(taken, 3)})

        score = round(score, 3)
        relevant = score >= self.threshold
        explanation: dict[str, Any] = {
            "version": EXPLANATION_VERSION,
            "topic": self.topic.name,
            "score": score,
            "threshold": self.threshold,
            "relevant": relevant,
            "language": {
                "code": detection.code,
                "declared": declared_language,
                "reason": detection.reason,
            },
            "sides": {k: self._term_summary(doc, side_ev.get(k, []), refs) for k in (a, b)},
            "bilateral": self._term_summary(doc, side_ev.get("bilateral", []), refs),
            "points": points,
            "penalties": penalties,
            "rules": rules,
            "themes": {k: [e.as_dict() for e in v] for k, v in themes.items()},
            "figures": {k: [e.as_dict() for e in v] for k, v in figures.items()},
            "entities": {k: [e.as_dict() for e in v] for k, v in entities.items()},
        }
        return Judgement(
            relevant,
            score,
            self.threshold,
            detection.code,
            themes,
            figures,
            explanation,
            entities,
        )

    # ------------------------------------------------------------------ helpers

    def _list_penalty(self, doc: Document, s: int, segs: _Segments) -> dict[str, Any]:
        where = "title" if s == 0 else f"sentence {doc.segments[s].sentence + 1}"
        return {
            "reason": "list_mention",
            "where": where,
            "factor": self.topic.negatives.list_mention.factor,
            "countries": sorted(segs.countries.get(s, _NO_COUNTRIES))[:8],
        }

    def _themes(
        self, doc: Document, theme_hits: dict[str, list[RawHit]], refs: list[TermRef]
    ) -> dict[str, list[Evidence]]:
        w = self.topic.weights
        out: dict[str, list[Evidence]] = {}
        for name in self.topic.themes:
            hs = theme_hits.get(name)
            if not hs:
                continue
            pts = sum(w.theme_title if h[1] == 0 else w.theme_body for h in hs)
            if pts >= w.theme_min:
                out[name] = self._evidence(doc, hs, refs)
        return out

    def _evidence(self, doc: Document, hits: list[RawHit], refs: list[TermRef]) -> list[Evidence]:
        """The first :data:`MAX_EVIDENCE` distinct forms (hits come in document order)."""
        texts = self._term_texts
        segments = doc.segments
        seen: set[str] = set()
        out: list[Evidence] = []
        for term, s, position, form in hits:
            if form in seen:
                continue
            seen.add(form)
            snippet = _snippet(segments[s].tokens, position)
            out.append(Evidence(texts[term], form, "body" if s else "title", snippet))
            if len(out) >= MAX_EVIDENCE:
                break
        return out

    def _term_summary(
        self, doc: Document, hits: list[RawHit], refs: list[TermRef]
    ) -> list[dict[str, Any]]:
        """Counts per (term, form, title/body): title first, then the most frequent; ties in
        document order."""
        if not hits:
            return []
        texts = self._term_texts
        # Keyed by (term, form, in the body): "title" sorts first, then the most frequent (a
        # stable sort keeps document order among ties).
        counts = Counter([(texts[t], form, s != 0) for t, s, _, form in hits])
        ranked = sorted(counts.items(), key=lambda kv: (kv[0][2], -kv[1]))[:12]
        return [
            {"term": t, "form": f, "where": "body" if in_body else "title", "count": n}
            for (t, f, in_body), n in ranked
        ]
