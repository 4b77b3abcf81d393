"""Offline language detection: script, then letters and stopwords; the declared language is a hint."""

from __future__ import annotations

import pytest

from monitor.relevance.language import detect_language


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        pytest.param(
            "The minister said that the talks would continue next week.", None, "en", id="en"
        ),
        pytest.param(
            "Министр заявил, что переговоры продолжатся на следующей неделе.",
            "en",
            "ru",
            id="ru despite declared en",
        ),
        pytest.param("وزیر گفت که گفتگوها هفته آینده ادامه خواهد یافت.", None, "fa", id="fa"),
        pytest.param(
            "وزير گفت كه گفتگوها هفته آينده ادامه خواهد يافت.",
            None,
            "fa",
            id="fa with arabic yeh and kaf",
        ),
        pytest.param(
            "قال الوزير إن المحادثات في العاصمة ستستمر على مدى الأسبوع المقبل.",
            "fa",
            "ar",
            id="arabic",
        ),
        pytest.param(
            "وزیر نے کہا کہ بات چیت اگلے ہفتے جاری رہے گی اور یہ اہم ہے۔", "fa", "ur", id="urdu"
        ),
        pytest.param(
            "Міністр заявив, що переговори триватимуть і наступного тижня.",
            "ru",
            "uk",
            id="ukrainian",
        ),
        pytest.param(
            "Le ministre a dit que les discussions sont dans une phase utile pour la paix.",
            "en",
            "fr",
            id="french",
        ),
        pytest.param("Iran Russia", "fr", "fr", id="short latin text: declared wins"),
        pytest.param(
            "Iran Russia", "ru", "en", id="declared language of another script is ignored"
        ),
        pytest.param("", "fa", "fa", id="empty: declared"),
        pytest.param("12345", None, "und", id="no letters"),
    ],
)
def test_detect(text: str, declared: str | None, expected: str) -> None:
    assert detect_language(text, declared).code == expected
