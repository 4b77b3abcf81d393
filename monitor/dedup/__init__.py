"""Dedup: fold copies of one article into a story and link distinct reports of the same event.

- :mod:`monitor.dedup.text` — boilerplate removal, shingles, numbers;
- :mod:`monitor.dedup.minhash` — MinHash signatures and LSH band hashes;
- :mod:`monitor.dedup.match` — copy / related decisions between two items;
- :mod:`monitor.dedup.index` — an in-memory LSH band index (bulk matching, benchmarks);
- :mod:`monitor.dedup.stage` — :class:`FoldStage`, the pipeline stage;
- :mod:`monitor.dedup.service` — rebuild and manual split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config import AppConfig
    from monitor.dedup.stage import FoldStage


def generic_entities(config: AppConfig) -> frozenset[str]:
    """Names of the topic's entities marked ``generic`` (they count less when linking reports);
    none when there is no topic file (folding alone does not need one)."""
    from monitor.relevance.topic import load_topic

    if not config.topic_path.exists():
        return frozenset()
    return frozenset(e.name for e in load_topic(config.topic_path).entities if e.generic)


def build_fold_stage(config: AppConfig) -> FoldStage:
    """The fold stage configured from ``monitor.yaml`` (``dedup:`` section) and the topic."""
    from monitor.dedup.stage import FoldStage

    return FoldStage(config.settings.dedup, generic_entities=generic_entities(config))
