"""Relevance: does an item report on the interaction of the topic's two sides?

- :mod:`monitor.relevance.topic` – the topic file (pydantic models, ``load_topic``);
- :mod:`monitor.relevance.terms` – term syntax, tokenised documents, one-pass term index;
- :mod:`monitor.relevance.language` – offline language detection;
- :mod:`monitor.relevance.matcher` – scoring, themes, key figures, explanations;
- :mod:`monitor.relevance.stage` – the pipeline's judge stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.relevance.matcher import Judgement, Matcher
from monitor.relevance.topic import Topic, load_topic

if TYPE_CHECKING:
    from monitor.config import AppConfig

__all__ = ["Judgement", "Matcher", "Topic", "build_matcher", "load_topic"]


def build_matcher(config: AppConfig) -> Matcher:
    """The matcher for the configured topic; ``relevance.threshold`` overrides the topic's."""
    topic = load_topic(config.topic_path)
    return Matcher(topic, threshold=config.settings.relevance.threshold)
