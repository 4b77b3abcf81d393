"""Keeping the garbage collector's passes short once the matching window is loaded.

The window (:class:`monitor.dedup.window.WindowIndex`) holds thousands of prepared items, each
tens of container objects, for as long as they are in range. CPython's cyclic collector examines
every tracked object of a generation it collects, so these long-lived objects make collections
dearer for every item folded afterwards. After a large load, :func:`settle` runs one full
collection and moves every object then alive to the permanent generation (:func:`gc.freeze`):
later collections examine only what was created since.

Safe in a long-running process: frozen objects are still freed as soon as their last reference
goes (items trimmed from the window are: they hold no reference cycles). Only cyclic garbage among
frozen objects waits, until the next :func:`settle`, which unfreezes everything before collecting.
"""

from __future__ import annotations

import gc

SETTLE_AFTER = 500  # items loaded into the window at once that are worth a settle


def settle() -> None:
    """Collect everything, then leave what is alive out of future collections."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
