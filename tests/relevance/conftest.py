from __future__ import annotations

from pathlib import Path

import pytest

from monitor.relevance.matcher import Matcher
from monitor.relevance.topic import Topic, load_topic

ROOT = Path(__file__).resolve().parents[2]
TOPIC_PATH = ROOT / "config" / "topics" / "iran-russia.yaml"


@pytest.fixture(scope="session")
def topic() -> Topic:
    return load_topic(TOPIC_PATH)


@pytest.fixture(scope="session")
def matcher(topic: Topic) -> Matcher:
    return Matcher(topic)
