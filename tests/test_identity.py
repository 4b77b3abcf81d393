"""Identity keys: entry key (fallback chain), title key (outlets and scripts), content fingerprint."""

from __future__ import annotations

import pytest

from monitor.config import shipped_outlets
from monitor.dedup.text import prepare_body
from monitor.identity import content_fingerprint, entry_key, normalise_title, title_key

BODY = (
    "The foreign ministers of the two countries met in the capital on Monday to discuss a new "
    "agreement on transit through the Caspian ports and the railway towards the Gulf.\n"
    "They agreed that a working group of 12 experts would prepare the text by the end of the "
    "month, and that customs procedures at the border would be simplified for rail freight.\n"
    "Officials said the project would cost about 1.6 billion dollars and take four years to build."
)

OUTLETS = shipped_outlets()


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
    assert title_key(a, OUTLETS) == title_key(b, OUTLETS)


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
    assert title_key(a, OUTLETS) != title_key(b, OUTLETS)


def test_entry_key_fallback_chain() -> None:
    assert entry_key("g1", "https://x.org/a", "T", outlets=OUTLETS) == entry_key(
        "g1", "https://x.org/b", "U", outlets=OUTLETS
    )
    assert entry_key(None, "https://x.org/a", "T", outlets=OUTLETS) == entry_key(
        "", "https://x.org/a", "U", outlets=OUTLETS
    )
    assert entry_key(None, None, "TASS: Title", outlets=OUTLETS) == entry_key(
        None, "", "Title – Tehran Times", outlets=OUTLETS
    )
    assert len(entry_key(None, None, "", outlets=OUTLETS)) == 64
    # without GUID or link: title and text, so one title over two texts is two entries
    assert entry_key(None, "", "Bulletin", "First", outlets=OUTLETS) != entry_key(
        None, "", "Bulletin", "Second", outlets=OUTLETS
    )
    assert entry_key(None, "", "Bulletin", "  First ", outlets=OUTLETS) == entry_key(
        None, None, "Bulletin", "first", outlets=OUTLETS
    )
    # GUID and link still win over the text; no text: the title alone, as before
    assert entry_key("g1", "", "T", "a", outlets=OUTLETS) == entry_key(
        "g1", "", "T", "b", outlets=OUTLETS
    )
    assert entry_key(None, "https://x.org/a", "T", "a", outlets=OUTLETS) == entry_key(
        None, "https://x.org/a", "T", outlets=OUTLETS
    )
    assert entry_key(None, "", "Title", "", outlets=OUTLETS) == entry_key(
        None, None, "Title", outlets=OUTLETS
    )


def test_fingerprint_ignores_boilerplate_and_outlet() -> None:
    plain = content_fingerprint("Talks held", prepare_body(BODY, OUTLETS).body, OUTLETS)
    credited = content_fingerprint(
        "TASS: Talks held",
        prepare_body(
            "MOSCOW, March 1 (TASS) – " + BODY + "\nSource: TASS\nRead more: more news", OUTLETS
        ).body,
        OUTLETS,
    )
    assert plain == credited
    assert plain != content_fingerprint(
        "Talks held", prepare_body(BODY.replace("12", "13"), OUTLETS).body, OUTLETS
    )


def test_normalise_title_persian_and_russian() -> None:
    assert normalise_title("Ёлка: ТАСС", OUTLETS) == normalise_title("елка: тасс", OUTLETS)
    assert normalise_title("كتاب", OUTLETS) == normalise_title("کتاب", OUTLETS)
