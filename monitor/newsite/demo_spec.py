"""A compact way to write demo articles; :func:`build` fixes their dates relative to ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.languages import Language
from monitor.newsite.models import Article, RelevanceHint


@dataclass(frozen=True)
class Spec:
    slug: str
    hours_ago: float  # negative: dated in the future (bad input that crawlers meet)
    title: str
    author: str
    body: tuple[str, ...]
    tags: tuple[str, ...] = ()
    hint: RelevanceHint = "bilateral"
    story: str = ""
    credit: str = ""
    full: bool = True
    section: str = "world"


def build(specs: list[Spec], language: Language, now: datetime) -> list[Article]:
    return [
        Article(
            slug=s.slug,
            title=s.title,
            body=s.body,
            author=s.author,
            published=(now - timedelta(hours=s.hours_ago)).replace(microsecond=0),
            language=language,
            full_in_feed=s.full,
            section=s.section,
            tags=s.tags,
            relevance_hint=s.hint,
            story_key=s.story,
            credit=s.credit,
        )
        for s in specs
    ]
