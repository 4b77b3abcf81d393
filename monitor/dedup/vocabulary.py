"""What copy detection takes from configuration rather than code.

- from ``config/outlets.yaml`` (:class:`monitor.identity.Outlets`): outlet names stripped from
  titles and agency credits stripped from texts;
- from the topic file: the words naming its two countries (:func:`naming_words`), ignored when
  titles are compared, and the entities marked ``generic``, which count less when linking reports.

So following another pair of countries needs another topic file (and its outlets), no code.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.config import AppConfig, Settings, shipped_outlets
from monitor.identity import Outlets
from monitor.paths import shipped_config_dir
from monitor.relevance.topic import Topic, load_topic, naming_words


@dataclass(frozen=True)
class CopyVocabulary:
    outlets: Outlets
    topic_words: frozenset[str] = frozenset()  # ignored in titles: the topic's country names
    generic_entities: frozenset[str] = frozenset()  # entity tags too broad to identify an event

    @classmethod
    def from_topic(cls, topic: Topic | None, outlets: Outlets) -> CopyVocabulary:
        if topic is None:
            return cls(outlets)
        generic = frozenset(e.name for e in topic.entities if e.generic)
        return cls(outlets, naming_words(topic), generic)

    @classmethod
    def configured(cls, config: AppConfig) -> CopyVocabulary:
        """From the configured topic (none when there is no topic file: folding alone does not
        need one) and outlets."""
        path = config.topic_path
        return cls.from_topic(load_topic(path) if path.exists() else None, config.outlets)

    @classmethod
    def shipped(cls) -> CopyVocabulary:
        """The shipped topic and outlets (benchmarks, evaluations, tests)."""
        topic = load_topic(shipped_config_dir() / Settings().topic)
        return cls.from_topic(topic, shipped_outlets())
