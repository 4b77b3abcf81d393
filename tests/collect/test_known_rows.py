"""A store batch reads its known entries' items in one look-up, and the judge reads the relevance
labels once per transaction: both must answer exactly as the look-ups they replace."""

from __future__ import annotations

from monitor.db.engine import Database
from monitor.db.items import get_item_for_entry, rows_for_entries
from monitor.db.labels import NOT_RELEVANT, RELEVANT, add_label, relevance_overrides
from tests.digest.support import Archive


def test_batch_look_up_answers_as_the_single_one(db: Database) -> None:
    with db.session() as s:
        a = Archive(s)
        first = a.item("Desk A", "one", url="https://a.example.net/1")
        a.item("Desk A", "two", url="https://a.example.net/2")
        a.item("Desk A", "two again", url="https://a.example.net/2")  # newer, same URL
        other = a.item("Desk B", "one elsewhere", url="https://a.example.net/1")
        a_id, b_id = first.source_id, other.source_id
        entries = [
            (a_id, first.entry_key, "https://a.example.net/1"),  # by key
            (a_id, "f" * 64, "https://a.example.net/2"),  # by URL: the oldest of two
            (a_id, "e" * 64, ""),  # no key match, no URL: nothing
            (b_id, first.entry_key, "https://a.example.net/9"),  # another source's key: nothing
            (b_id, other.entry_key, "https://elsewhere.example.net/"),  # by key in B
            (b_id, "d" * 64, "https://a.example.net/2"),  # the URL is stored in A only
        ]
        rows = rows_for_entries(s, entries)
        got = [rows.get(*e) for e in entries]
        want = [get_item_for_entry(s, *e) for e in entries]
        assert [r.id if r else None for r in got] == [r.id if r else None for r in want]
        assert [r is not None for r in got] == [True, True, False, False, True, False]
        assert got[1] is not None
        assert got[1].title == "two"


def test_labels_read_once_per_transaction_see_a_label_added_in_it(db: Database) -> None:
    with db.session() as s:
        item_id = Archive(s).item("Desk A", "one").id
    with db.session() as s:
        assert relevance_overrides(s, [item_id]) == {}
        add_label(s, NOT_RELEVANT, item_id, reviewer="ann")
        assert relevance_overrides(s, [item_id]) == {item_id: False}
    with db.session() as s:  # another transaction reads them anew
        assert relevance_overrides(s, [item_id]) == {item_id: False}
        add_label(s, RELEVANT, item_id, reviewer="bob")
        assert relevance_overrides(s) == {item_id: True}
