"""JudgeStage: score an item, detect its language, record why, and tag themes, key figures and
entities.

Runs inside the collector's transaction (see :mod:`monitor.pipeline`); never commits. Irrelevant
items are kept with their score and explanation; theme, figure and entity tags are stored for
relevant items only (the explanation lists them either way).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from monitor.db.labels import relevance_overrides
from monitor.db.models import Item
from monitor.db.relevance import TagValue, replace_tags
from monitor.explanation import explanation_to_json
from monitor.pipeline import StageContext
from monitor.query import field_names
from monitor.relevance.matcher import Judgement, Matcher

log = logging.getLogger(__name__)


def body_text(summary: str | None, text: str | None) -> str:
    """The text judged: the summary (when the main text does not already start with it) + text."""
    summary, text = (summary or "").strip(), (text or "").strip()
    if not text:
        return summary
    if summary and summary[:80] not in text:
        return f"{summary}\n{text}"
    return text


def judge_text(
    matcher: Matcher,
    title: str,
    summary: str | None,
    text: str | None,
    declared: str | None,
    source: str | None = None,
) -> Judgement:
    """Judge an item given as text (``declared``: the feed's or the source's language;
    ``source``: the outlet's name, for ``source:`` in rules)."""
    return matcher.judge(title or "", body_text(summary, text), declared, source=source)


def judge_item(matcher: Matcher, item: Item, *, with_source: bool = True) -> Judgement:
    """``with_source=False``: the topic's rules never read ``source:`` (see :func:`uses_source`),
    so the item's source is read only when its language is needed."""
    declared = item.declared_language
    if declared is None and item.source is not None:
        declared = item.source.language
    source = item.source.name if with_source and item.source is not None else None
    return judge_text(matcher, item.title, item.summary, item.text, declared, source)


def uses_source(matcher: Matcher) -> bool:
    """Whether a rule or negative query of the topic reads ``source:``."""
    queries = [*matcher.custom, *matcher.include, *matcher.exclude]
    return any("source" in field_names(node) for _, node, _ in queries)


def tag_values(judgement: Judgement) -> list[TagValue]:
    if not judgement.relevant:
        return []
    tags = [
        TagValue("theme", name, [e.as_dict() for e in ev]) for name, ev in judgement.themes.items()
    ]
    tags += [
        TagValue("figure", name, [e.as_dict() for e in ev])
        for name, ev in judgement.figures.items()
    ]
    tags += [
        TagValue("entity", name, [e.as_dict() for e in ev])
        for name, ev in judgement.entities.items()
    ]
    return tags


def apply_judgement(session: Session, item: Item, judgement: Judgement) -> list[TagValue]:
    """Write the judgement to the item; returns the tags it now has."""
    item.language = judgement.language
    item.relevant = judgement.relevant
    item.score = judgement.score
    item.explanation = explanation_to_json(judgement.explanation)
    tags = tag_values(judgement)
    replace_tags(session, item, tags)
    return tags


class JudgeStage:
    name = "judge"

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self.with_source = uses_source(matcher)

    def process(self, session: Session, item: Item, ctx: StageContext) -> None:
        judgement = judge_item(self.matcher, item, with_source=self.with_source)
        if item.revision > 1:  # a revised item keeps a reviewer's relevance label
            label = relevance_overrides(session, [item.id]).get(item.id)
            if label is not None and label != judgement.relevant:
                judgement = judgement.labelled(label)
        tags = apply_judgement(session, item, judgement)
        if item.id is not None:
            ctx.judged_tags = (item.id, [(t.kind, t.value) for t in tags])
        ctx.stats["judge/relevant" if judgement.relevant else "judge/irrelevant"] += 1
        log.debug(
            "Judged item=%s score=%s relevant=%s", item.id, judgement.score, judgement.relevant
        )
