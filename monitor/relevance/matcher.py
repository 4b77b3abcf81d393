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
from dataclasses import dataclass, replace

from monitor.explanation import (
    Evidence,
    Explanation,
    LanguageDecision,
    Penalty,
    Point,
    RuleHit,
    TermCount,
)
from monitor.query import Node, Prepared, evaluate, parse_query
from monitor.relevance.language import detect_language
from monitor.relevance.terms import Document, RawHit, TermIndex, tokenise
from monitor.relevance.topic import Topic

MAX_EVIDENCE = 3
MAX_POINT_TEXTS = 8
LANGUAGE_SAMPLE = 1200
BILATERAL = "bilateral"  # the key of bilateral forms among the sides' hits


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
class Judgement:
    relevant: bool
    score: float
    threshold: float
    language: str
    themes: dict[str, tuple[Evidence, ...]]
    figures: dict[str, tuple[Evidence, ...]]
    explanation: Explanation
    entities: dict[str, tuple[Evidence, ...]]

    def labelled(self, relevant: bool, *, reviewer: str | None = None) -> Judgement:
        """The judgement with a reviewer's label in force: relevance from the label; the rules'
        score, terms and tags kept; the explanation saying so."""
        return replace(
            self,
            relevant=relevant,
            explanation=self.explanation.labelled(relevant, reviewer=reviewer),
        )


class _Found:
    """One item's hits, grouped (:meth:`Matcher._group_hits`), and what the title and body
    sentences name, by segment index (only segments naming something)."""

    __slots__ = (
        "entities",
        "figures",
        "seg_bilateral",
        "seg_countries",
        "seg_sides",
        "sides",
        "sports",
        "themes",
    )

    def __init__(self) -> None:
        self.seg_sides: dict[int, dict[str, float]] = {}  # side → strongest weight named
        self.seg_bilateral: set[int] = set()  # segments with a bilateral form
        self.seg_countries: dict[int, set[str]] = {}  # list-mention countries named
        self.sides: dict[str, list[RawHit]] = {}  # side name or BILATERAL → hits
        self.themes: dict[str, list[RawHit]] = {}
        self.figures: dict[str, list[RawHit]] = {}
        self.entities: dict[str, list[RawHit]] = {}
        self.sports: list[RawHit] = []


class _Tally:
    """The explanation's points, penalties and rules, in the order they were found."""

    __slots__ = ("penalties", "points", "rules")

    def __init__(self) -> None:
        self.points: list[Point] = []
        self.penalties: list[Penalty] = []
        self.rules: list[RuleHit] = []


_NO_SIDES: dict[str, float] = {}
_NO_COUNTRIES: frozenset[str] = frozenset()
_NO_HITS: list[RawHit] = []


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
                self.index.add(t, TermRef("bilateral", BILATERAL, t, lang))
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
        self._a, self._b = self.side_names
        self._both = frozenset(self.side_names)
        self._list_min = topic.negatives.list_mention.min_countries
        self._list_factor = topic.negatives.list_mention.factor

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
        found = self._group_hits(self.index.scan(doc))
        tally = _Tally()
        title_points, title_pair = self._score_title(doc, found, tally)
        score = title_points + self._score_body(doc, found, tally, title_pair)
        score = self._sports_penalty(found, score, tally)
        themes = self._themes(doc, found.themes)
        figures = {name: self._evidence(doc, hs) for name, hs in sorted(found.figures.items())}
        entities = {name: self._evidence(doc, hs) for name, hs in sorted(found.entities.items())}
        if self.custom or self.include or self.exclude:
            properties = {
                "lang": [detection.code],
                "source": [source] if source else [],
                "theme": list(themes),
                "figure": list(figures),
                "entity": list(entities),
            }
            score = self._apply_queries(doc, properties, score, tally)
        score = round(score, 3)
        relevant = score >= self.threshold
        a, b = self.side_names
        explanation = Explanation(
            topic=self.topic.name,
            score=score,
            threshold=self.threshold,
            relevant=relevant,
            language=LanguageDecision(detection.code, declared_language, detection.reason),
            sides={k: self._term_summary(found.sides.get(k, _NO_HITS)) for k in (a, b)},
            bilateral=self._term_summary(found.sides.get(BILATERAL, _NO_HITS)),
            points=tuple(tally.points),
            penalties=tuple(tally.penalties),
            rules=tuple(tally.rules),
            themes=themes,
            figures=figures,
            entities=entities,
        )
        return Judgement(
            relevant, score, self.threshold, detection.code, themes, figures, explanation, entities
        )

    # ------------------------------------------------------------------ steps

    def _group_hits(self, hits: list[RawHit]) -> _Found:
        """Hits grouped by side (or :data:`BILATERAL`), theme, figure and entity, each list in
        document order, and what each title or body segment names."""
        plan = self._plan
        found = _Found()
        seg_sides = found.seg_sides
        seg_countries = found.seg_countries
        sides = found.sides
        themes = found.themes
        figures = found.figures
        entities = found.entities
        for hit in hits:
            category, key, weight, figure = plan[hit[0]]
            s = hit[1]
            if category == "side":
                named = seg_sides.get(s)
                if named is None:
                    seg_sides[s] = {key: weight}
                elif weight > named.get(key, 0.0):
                    named[key] = weight
                group = sides.get(key)
                if group is None:
                    sides[key] = [hit]
                else:
                    group.append(hit)
                if figure:
                    group = figures.get(figure)
                    if group is None:
                        figures[figure] = [hit]
                    else:
                        group.append(hit)
            elif category == "theme":
                group = themes.get(key)
                if group is None:
                    themes[key] = [hit]
                else:
                    group.append(hit)
            elif category == "country":
                countries = seg_countries.get(s)
                if countries is None:
                    seg_countries[s] = {key}
                else:
                    countries.add(key)
            elif category == "bilateral":
                found.seg_bilateral.add(s)
                sides.setdefault(BILATERAL, []).append(hit)
            elif category == "sports":
                found.sports.append(hit)
            else:
                group = entities.get(key)
                if group is None:
                    entities[key] = [hit]
                else:
                    group.append(hit)
        return found

    def _is_list(self, found: _Found, s: int) -> bool:
        """Whether segment ``s`` names enough countries (both sides included) to be a list."""
        named = found.seg_sides.get(s, _NO_SIDES)
        countries = found.seg_countries.get(s, _NO_COUNTRIES)
        return len(countries) + (self._a in named) + (self._b in named) >= self._list_min

    def _pair(self, named: dict[str, float]) -> float:
        """The weaker side's weight when a segment names both sides, else 0."""
        a, b = self._a, self._b
        if a in named and b in named:
            return min(named[a], named[b])
        return 0.0

    def _score_title(self, doc: Document, found: _Found, tally: _Tally) -> tuple[float, bool]:
        """The title's points, and whether the title names the pair (bilateral form or both)."""
        w = self.topic.weights
        tsides = found.seg_sides.get(0, _NO_SIDES)
        tbilateral = 0 in found.seg_bilateral
        tpair = self._pair(tsides)
        title_points = 0.0
        reason = ""
        if tbilateral:
            title_points, reason = w.title_bilateral, "title_bilateral"
        elif tpair:
            title_points, reason = w.title_pair * tpair, "title_pair"
        elif tsides:
            title_points, reason = w.title_one_side * max(tsides.values()), "title_one_side"
            both = self._both
            lead_sides = {
                k
                for s, named in found.seg_sides.items()
                if 0 < s <= w.lead_sentences
                for k in named
                if k in both
            }
            if both <= (lead_sides | tsides.keys()):
                title_points += w.title_cross
                reason = "title_one_side+lead_other_side"
        if title_points:
            if reason != "title_one_side" and self._is_list(found, 0):
                tally.penalties.append(self._list_penalty(doc, 0, found))
                title_points *= self._list_factor
            tally.points.append(Point(reason, "title", round(title_points, 3)))
        return title_points, bool(tbilateral or tpair)

    def _score_body(self, doc: Document, found: _Found, tally: _Tally, any_pair: bool) -> float:
        """Points of body sentences and paragraphs (only sentences naming a side or a bilateral
        form count), the document pair and the body cap."""
        w = self.topic.weights
        a, b = self.side_names
        both = self._both
        seg_sides = found.seg_sides
        points = tally.points
        body = 0.0
        para_sides: dict[int, set[str]] = {}
        para_paired: set[int] = set()
        named_segments = seg_sides.keys() | found.seg_bilateral
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
            if s in found.seg_bilateral:
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
            if self._is_list(found, s):
                tally.penalties.append(self._list_penalty(doc, s, found))
                pts *= self._list_factor
            body += pts
            text = _snippet(seg.tokens, 0, 30) if len(points) < MAX_POINT_TEXTS else None
            points.append(Point(why, f"sentence {seg.sentence + 1}", round(pts, 3), text))
        for p, sides in sorted(para_sides.items()):
            if p not in para_paired and both <= sides:
                any_pair = True
                body += w.paragraph_pair
                points.append(Point("paragraph_pair", f"paragraph {p + 1}", w.paragraph_pair))
        if not any_pair and found.sides.keys() & both == both:
            body += w.document_pair
            points.append(Point("document_pair", "body", w.document_pair))
        if body > w.body_cap:
            points.append(Point("body_cap", "body", w.body_cap - body))
            body = w.body_cap
        return body

    def _sports_penalty(self, found: _Found, score: float, tally: _Tally) -> float:
        """Each sports term in the title counts twice, a body sentence with sports terms once: a
        paragraph on a match in another story is not a sports item."""
        hits = found.sports
        if not hits or not score:
            return score
        sports = self.topic.negatives.sports
        sports_points = 2 * len({h[0] for h in hits if h[1] == 0}) + len(
            {h[1] for h in hits if h[1] != 0}
        )
        if sports_points < sports.min_hits:
            return score
        terms = tuple(sorted({h[3] for h in hits})[:MAX_EVIDENCE])
        tally.penalties.append(Penalty("sports", sports.factor, terms=terms))
        return score * sports.factor

    def _apply_queries(
        self, doc: Document, properties: dict[str, list[str]], score: float, tally: _Tally
    ) -> float:
        """Custom negatives (multipliers), then include and exclude rules (points)."""
        title_words = [t for t in doc.segments[0].tokens if t[0].isalnum() or t[0] == "_"]
        prepared = Prepared.from_tokens(doc.words(), title=title_words, properties=properties)
        for name, node, factor in self.custom:
            if score and evaluate(node, prepared):
                score *= factor
                tally.penalties.append(Penalty(f"custom:{name}", factor))
        for name, node, add in self.include:
            if evaluate(node, prepared):
                score += add
                tally.rules.append(RuleHit(name, "include", add))
        for name, node, sub in self.exclude:
            if evaluate(node, prepared):
                taken = score if sub is None else sub
                score = max(0.0, score - taken)
                tally.rules.append(RuleHit(name, "exclude", -round(taken, 3)))
        return score

    # ------------------------------------------------------------------ helpers

    def _list_penalty(self, doc: Document, s: int, found: _Found) -> Penalty:
        where = "title" if s == 0 else f"sentence {doc.segments[s].sentence + 1}"
        countries = tuple(sorted(found.seg_countries.get(s, _NO_COUNTRIES))[:8])
        return Penalty("list_mention", self._list_factor, where, countries=countries)

    def _themes(
        self, doc: Document, theme_hits: dict[str, list[RawHit]]
    ) -> dict[str, tuple[Evidence, ...]]:
        w = self.topic.weights
        out: dict[str, tuple[Evidence, ...]] = {}
        for name in self.topic.themes:
            hs = theme_hits.get(name)
            if not hs:
                continue
            pts = sum(w.theme_title if h[1] == 0 else w.theme_body for h in hs)
            if pts >= w.theme_min:
                out[name] = self._evidence(doc, hs)
        return out

    def _evidence(self, doc: Document, hits: list[RawHit]) -> tuple[Evidence, ...]:
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
        return tuple(out)

    def _term_summary(self, hits: list[RawHit]) -> tuple[TermCount, ...]:
        """Counts per (term, form, title/body): title first, then the most frequent; ties in
        document order."""
        if not hits:
            return ()
        texts = self._term_texts
        # Keyed by (term, form, in the body): "title" sorts first, then the most frequent (a
        # stable sort keeps document order among ties).
        counts = Counter([(texts[t], form, s != 0) for t, s, _, form in hits])
        ranked = sorted(counts.items(), key=lambda kv: (kv[0][2], -kv[1]))[:12]
        return tuple(
            TermCount(t, f, "body" if in_body else "title", n) for (t, f, in_body), n in ranked
        )
