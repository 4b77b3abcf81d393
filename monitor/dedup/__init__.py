"""Dedup: fold copies of one article into a story and link distinct reports of the same event.

- :mod:`monitor.dedup.text` — boilerplate removal, shingles, numbers;
- :mod:`monitor.dedup.vocabulary` — what dedup takes from the topic file and ``outlets.yaml``;
- :mod:`monitor.dedup.minhash` — MinHash signatures and LSH band hashes;
- :mod:`monitor.dedup.anchors` — stems, name skeletons across scripts, named dates (Solar Hijri too);
- :mod:`monitor.dedup.similarity` — rarity-weighted stem overlap, aligned sentences, term statistics;
- :mod:`monitor.dedup.match` — copy / related decisions between two items;
- :mod:`monitor.dedup.window` — the matching window in memory, with an inverted key index;
- :mod:`monitor.dedup.index` — an in-memory LSH band index (bulk matching, benchmarks);
- :mod:`monitor.dedup.stage` — :class:`FoldStage`, the pipeline stage;
- :mod:`monitor.dedup.service` — rebuild and manual split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config import AppConfig
    from monitor.dedup.stage import FoldStage


def build_fold_stage(config: AppConfig) -> FoldStage:
    """The fold stage configured from ``monitor.yaml`` (``dedup:`` section), the topic and the
    outlets."""
    from monitor.dedup.stage import FoldStage
    from monitor.dedup.vocabulary import CopyVocabulary

    return FoldStage(config.settings.dedup, vocabulary=CopyVocabulary.configured(config))
