"""The stages every stored item passes through: judge (relevance), then fold (dedup)."""

from __future__ import annotations

import logging

from monitor.config import AppConfig
from monitor.db.engine import Database
from monitor.pipeline import ItemStage

log = logging.getLogger(__name__)


def default_stages(config: AppConfig, db: Database) -> list[ItemStage]:
    """``[JudgeStage, FoldStage]`` built from the configuration."""
    from monitor.dedup import build_fold_stage
    from monitor.relevance import build_matcher
    from monitor.relevance.stage import JudgeStage

    return [JudgeStage(build_matcher(config)), build_fold_stage(config)]
