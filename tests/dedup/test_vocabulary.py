"""Dedup takes its topic words and generic entities from the topic file, not from code."""

from __future__ import annotations

from pathlib import Path

import yaml

from monitor.config import shipped_outlets
from monitor.dedup.text import content_tokens
from monitor.dedup.vocabulary import CopyVocabulary
from monitor.paths import shipped_config_dir
from monitor.relevance.topic import naming_words, topic_from_data

TOPIC = shipped_config_dir() / "topics" / "iran-russia.yaml"


def test_the_shipped_topic_names_its_countries_in_every_form() -> None:
    words = CopyVocabulary.shipped().topic_words
    # the words dedup ignored when they were written in code, and their other forms
    assert {"iran", "iranian", "russia", "moscow", "tehran", "иран", "россия"} <= words
    assert {"ирана", "москве", "российского", "ایران", "روسیه", "مسکو", "kremlin"} <= words
    # places and institutions tell events apart: they are not topic words
    assert not {"bushehr", "natanz", "duma", "бушер", "astrakhan"} & words
    assert content_tokens("Iran and Russia sign Bushehr deal", words) == {"sign", "bushehr", "deal"}


def test_another_topic_gives_other_words(tmp_path: Path) -> None:
    raw = yaml.safe_load(TOPIC.read_text(encoding="utf-8"))
    raw["sides"] = {
        "china": {
            "label": "China",
            "groups": [
                {"kind": "country", "terms": {"en": ["China", "Chinese"], "ru": ["кита{й,я,е}"]}},
                {"kind": "capital", "terms": {"en": ["Beijing"]}},
                {"kind": "place", "terms": {"en": ["Harbin"]}},
            ],
        },
        "russia": raw["sides"]["russia"],
    }
    topic = topic_from_data(raw)
    words = naming_words(topic)
    assert {"china", "chinese", "китай", "китая", "beijing", "russia", "moscow"} <= words
    assert "iran" not in words
    assert "harbin" not in words
    vocabulary = CopyVocabulary.from_topic(topic, shipped_outlets())
    assert vocabulary.generic_entities == {e.name for e in topic.entities if e.generic}
