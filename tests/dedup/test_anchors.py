"""Anchors across scripts and calendars (monitor.dedup.anchors)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from monitor.dedup.anchors import (
    jalali_to_gregorian,
    named_dates,
    names,
    skeleton,
    stem,
    without_dates,
)


@pytest.mark.parametrize(
    "spellings",
    [
        ("zelensky", "зеленский", "زلنسکی"),
        ("araghchi", "аракчи", "عراقچی"),
        ("pezeshkian", "пезешкиан", "پزشکیان"),
        ("blinken", "блинкен", "بلینکن"),
        ("sadegh", "садег", "صادق"),
        ("hormoz", "хормоз", "هرمز"),
        ("jalali", "джалали", "جلالی"),
    ],
)
def test_one_name_one_skeleton_in_three_scripts(spellings: tuple[str, ...]) -> None:
    assert len({skeleton(s) for s in spellings}) == 1


def test_different_names_have_different_skeletons() -> None:
    assert skeleton("zelensky") != skeleton("blinken")
    assert skeleton("putin") != skeleton("pezeshkian")
    assert skeleton("2025") == ""


def test_names_capitalised_in_latin_and_cyrillic_every_word_in_persian() -> None:
    en = names("Ukrainian President Volodymyr Zelensky said on Monday that talks went on.", "en")
    ru = names("Президент Украины Владимир Зеленский заявил в понедельник", "ru")
    fa = names("ولودیمیر زلنسکی رئیس‌جمهور اوکراین گفت", "fa")
    assert skeleton("zelensky") in en & ru & fa
    assert skeleton("monday") not in en  # weekdays and function words are no names
    assert skeleton("talks") not in en  # lower case: not a name in English


def test_russian_case_endings_do_not_change_the_name() -> None:
    assert names("встреча с Зеленским", "ru") == names("Зеленский", "ru")


def test_stems_fold_inflections() -> None:
    assert stem("sanctions") == stem("sanction")
    assert stem("санкциями") == stem("санкции")
    assert stem("تحریم‌ها".replace("\u200c", "")) == stem("تحریم")


@pytest.mark.parametrize(
    ("jalali", "gregorian"),
    [
        ((1404, 9, 26), date(2025, 12, 17)),
        ((1402, 4, 21), date(2023, 7, 12)),
        ((1403, 1, 1), date(2024, 3, 20)),
        ((1404, 1, 1), date(2025, 3, 21)),
        ((1399, 12, 30), date(2021, 3, 20)),
    ],
)
def test_solar_hijri_dates(jalali: tuple[int, int, int], gregorian: date) -> None:
    assert jalali_to_gregorian(*jalali) == gregorian


def test_named_dates_in_three_languages_and_two_calendars() -> None:
    when = datetime(2025, 12, 16, tzinfo=UTC)
    expected = frozenset({"12-17"})
    assert named_dates("The ministers meet on December 17 in Moscow.", when) == expected
    assert named_dates("Министры встретятся 17 декабря в Москве.", when) == expected
    assert named_dates("وزیران ۲۶ آذر در مسکو دیدار می‌کنند.", when) == expected
    assert named_dates("وزیران روز ۱۷ دسامبر در مسکو دیدار می‌کنند.", when) == expected
    assert named_dates("No date here, only 17 ships.", when) == frozenset()


def test_dates_are_no_figures() -> None:
    assert "12" not in without_dates("MOSCOW, March 12 (TASS) - 300 wagons")
    assert "300" in without_dates("MOSCOW, March 12 (TASS) - 300 wagons")
    text = without_dates("votes on 19 and 26 September on resolution 2231")
    assert "19" not in text
    assert "26" not in text
    assert "2231" in text
