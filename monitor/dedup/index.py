"""An in-memory LSH band index over MinHash signatures (numpy, no per-entry Python objects).

The same band hashes as the ``dedup_bands`` table (:meth:`MinHasher.band_hashes`), held as one
sorted array of band hashes with the row of the item they belong to: a lookup is one
``searchsorted`` for all bands of the query. Items added after :meth:`build` go to a small
pending buffer that is merged into the sorted arrays when it grows past ``merge_every``.

Memory at 1M items with 128 permutations and 32 bands: signatures 512 MB (uint32), band hashes
256 MB (int64) and rows 128 MB (int32).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from monitor.dedup.minhash import MinHasher, Signature


class BandIndex:
    def __init__(self, hasher: MinHasher, *, merge_every: int = 50_000) -> None:
        self.hasher = hasher
        self.merge_every = merge_every
        self._keys = np.empty(0, dtype=np.int64)
        self._rows = np.empty(0, dtype=np.int32)
        self._sigs = np.empty((0, hasher.num_perm), dtype=np.uint32)
        self._ids = np.empty(0, dtype=np.int64)
        self._pending: list[tuple[int, Signature]] = []

    def __len__(self) -> int:
        return int(self._ids.size) + len(self._pending)

    def build(self, ids: npt.NDArray[np.int64], sigs: Signature, *, chunk: int = 100_000) -> None:
        """Replace the index with ``ids`` and their signatures (shape ``(n, num_perm)``)."""
        n = int(ids.size)
        bands = self.hasher.bands
        keys = np.empty(n * bands, dtype=np.int64)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            keys[start * bands : stop * bands] = self.hasher.band_hashes(sigs[start:stop]).ravel()
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        del keys
        self._rows = (order // bands).astype(np.int32)
        del order
        self._sigs = np.ascontiguousarray(sigs, dtype=np.uint32)
        self._ids = np.asarray(ids, dtype=np.int64)
        self._pending = []

    def add(self, item_id: int, sig: Signature) -> None:
        self._pending.append((item_id, sig))
        if len(self._pending) >= self.merge_every:
            self._merge()

    def _merge(self) -> None:
        if not self._pending:
            return
        ids = np.concatenate([self._ids, np.asarray([p[0] for p in self._pending], dtype=np.int64)])
        sigs = np.vstack([self._sigs, np.stack([p[1] for p in self._pending])])
        self.build(ids, sigs)

    def candidates(self, sig: Signature) -> npt.NDArray[np.int32]:
        """Rows (positions) of items sharing at least one band with ``sig``."""
        q = self.hasher.band_hashes(sig)
        lo = np.searchsorted(self._keys, q, side="left")
        hi = np.searchsorted(self._keys, q, side="right")
        hits = [self._rows[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True) if b > a]
        rows = np.unique(np.concatenate(hits)) if hits else np.empty(0, dtype=np.int32)
        return rows.astype(np.int32)

    def query(self, sig: Signature, threshold: float) -> list[tuple[int, float]]:
        """(item id, estimated Jaccard) of indexed items at or above ``threshold``, best first."""
        out: list[tuple[int, float]] = []
        rows = self.candidates(sig)
        if rows.size:
            sims = (self._sigs[rows] == sig).mean(axis=1)
            keep = sims >= threshold
            out = list(zip(self._ids[rows[keep]].tolist(), sims[keep].tolist(), strict=True))
        for item_id, other in self._pending:
            sim = float((other == sig).mean())
            if sim >= threshold:
                out.append((item_id, sim))
        return sorted(out, key=lambda p: (-p[1], p[0]))

    def brute_force(self, sig: Signature, threshold: float) -> list[tuple[int, float]]:
        """The same answer as :meth:`query` by comparing with every item (for verification)."""
        sims = (self._sigs == sig).mean(axis=1)
        keep = np.nonzero(sims >= threshold)[0]
        out = list(zip(self._ids[keep].tolist(), sims[keep].tolist(), strict=True))
        out += [
            (i, float((s == sig).mean()))
            for i, s in self._pending
            if (s == sig).mean() >= threshold
        ]
        return sorted(out, key=lambda p: (-p[1], p[0]))
