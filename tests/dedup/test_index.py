"""The in-memory band index answers like brute force."""

from __future__ import annotations

import numpy as np

from monitor.dedup.index import BandIndex
from monitor.dedup.minhash import MinHasher


def test_index_matches_brute_force() -> None:
    hasher = MinHasher(64, 4)
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 2**32, size=(2000, 64), dtype=np.uint32)
    sigs[1500:1600] = sigs[:100]
    sigs[1500:1600, :8] = 7  # 8 of 64 positions differ: Jaccard estimate 0.875
    index = BandIndex(hasher, merge_every=10)
    index.build(np.arange(1990, dtype=np.int64), sigs[:1990])
    for i in range(1990, 2000):
        index.add(i, sigs[i])
    assert len(index) == 2000
    for q in [*list(range(0, 100, 7)), 1995]:
        assert index.query(sigs[q], 0.75) == index.brute_force(sigs[q], 0.75)
    hits = dict(index.query(sigs[3], 0.75))
    assert hits[3] == 1.0
    assert 0.8 < hits[1503] < 0.9
