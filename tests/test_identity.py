"""Identity keys: entry key (fallback chain), title key (outlets and scripts), content fingerprint."""

from __future__ import annotations

import pytest

from monitor.dedup.text import prepare_body
from monitor.identity import content_fingerprint, entry_key, normalise_title, title_key

BODY = (
    "The foreign ministers of the two countries met in the capital on Monday to discuss a new "
    "agreement on transit through the Caspian ports and the railway towards the Gulf.\n"
    "They agreed that a working group of 12 experts would prepare the text by the end of the "
    "month, and that customs procedures at the border would be simplified for rail freight.\n"
    "Officials said the project would cost about 1.6 billion dollars and take four years to build."
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(
            "TASS: Lavrov meets Araghchi",
            "Lavrov meets Araghchi – Tehran Times",
            id="prefix vs suffix",
        ),
        pytest.param(
            "Lavrov meets Araghchi | Caspian Observer", "Lavrov meets Araghchi", id="pipe suffix"
        ),
        pytest.param(
            "Lavrov meets Araghchi - caspianwire.com",
            "LAVROV MEETS ARAGHCHI",
            id="domain suffix, case",
        ),
        pytest.param(
            "ТАСС: Лавров встретился с Аракчи",
            "Лавров встретился с Аракчи — Коммерсантъ",
            id="russian",
        ),
        pytest.param("Лавров и Аракчи обсудили всё", "Лавров и Аракчи обсудили все", id="ё"),
        pytest.param(
            "تسنیم - دیدار لاوروف و عراقچي",
            "دیدار لاوروف و عراقچی",
            id="persian outlet, arabic yeh",
        ),
        pytest.param("می‌خواهد", "میخواهد", id="ZWNJ"),
    ],
)
def test_same_title_key(a: str, b: str) -> None:
    assert title_key(a) == title_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(
            "Lavrov: talks were useful", "Araghchi: talks were useful", id="quote attribution kept"
        ),
        pytest.param("Rate set at 5,120 rials", "Rate set at 5,164 rials", id="numbers differ"),
    ],
)
def test_different_title_key(a: str, b: str) -> None:
    assert title_key(a) != title_key(b)


def test_entry_key_fallback_chain() -> None:
    assert entry_key("g1", "https://x.org/a", "T") == entry_key("g1", "https://x.org/b", "U")
    assert entry_key(None, "https://x.org/a", "T") == entry_key("", "https://x.org/a", "U")
    assert entry_key(None, None, "TASS: Title") == entry_key(None, "", "Title – Tehran Times")
    assert len(entry_key(None, None, "")) == 64
    # without GUID or link: title and text, so one title over two texts is two entries
    assert entry_key(None, "", "Bulletin", "First") != entry_key(None, "", "Bulletin", "Second")
    assert entry_key(None, "", "Bulletin", "  First ") == entry_key(None, None, "Bulletin", "first")
    # GUID and link still win over the text; no text: the title alone, as before
    assert entry_key("g1", "", "T", "a") == entry_key("g1", "", "T", "b")
    assert entry_key(None, "https://x.org/a", "T", "a") == entry_key(None, "https://x.org/a", "T")
    assert entry_key(None, "", "Title", "") == entry_key(None, None, "Title")


def test_fingerprint_ignores_boilerplate_and_outlet() -> None:
    plain = content_fingerprint("Talks held", prepare_body(BODY).body)
    credited = content_fingerprint(
        "TASS: Talks held",
        prepare_body(
            "MOSCOW, March 1 (TASS) – " + BODY + "\nSource: TASS\nRead more: more news"
        ).body,
    )
    assert plain == credited
    assert plain != content_fingerprint("Talks held", prepare_body(BODY.replace("12", "13")).body)


def test_normalise_title_persian_and_russian() -> None:
    assert normalise_title("Ёлка: ТАСС") == normalise_title("елка: тасс")
    assert normalise_title("كتاب") == normalise_title("کتاب")
