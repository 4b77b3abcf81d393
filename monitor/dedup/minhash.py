"""MinHash signatures and LSH band hashes (numpy; deterministic across processes and machines).

A shingle is hashed to 32 bits (blake2b), then ``num_perm`` universal hash functions
``(a·x + b) mod p`` (p the largest prime below 2^32) give the permutations; the signature keeps each minimum as uint32.
The estimated Jaccard similarity of two sets is the share of equal signature positions.

LSH: the signature is cut into ``bands`` bands of ``rows`` values; a band hash (63-bit, signed
integer safe) mixes the band's values, the band number and a kind tag, so text and title bands
never collide. Two items sharing a band hash are candidates; with 32 bands × 4 rows an item pair
with Jaccard 0.5 is found with probability 0.87, 0.3 → 0.23, 0.1 → 0.003.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

PRIME = np.uint64(4294967291)  # largest prime below 2^32: a·x + b never overflows uint64
_SEED = 20240611
_KIND_SALT = {"text": 0x9E3779B97F4A7C15, "title": 0xC2B2AE3D27D4EB4F}
_MASK63 = np.uint64((1 << 63) - 1)

Signature = npt.NDArray[np.uint32]


class MinHasher:
    """Computes signatures of shingle sets with ``num_perm`` permutations."""

    def __init__(self, num_perm: int = 128, rows: int = 4, seed: int = _SEED) -> None:
        if num_perm % rows:
            raise ValueError("num_perm must be a multiple of rows")
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self.rows = rows
        self.bands = num_perm // rows
        self._a = rng.integers(1, int(PRIME), size=num_perm, dtype=np.uint64)
        self._b = rng.integers(0, int(PRIME), size=num_perm, dtype=np.uint64)
        self._row_mult = rng.integers(1, 1 << 62, size=rows, dtype=np.uint64) | np.uint64(1)
        self._band_salt = rng.integers(1, 1 << 62, size=self.bands, dtype=np.uint64)

    @staticmethod
    def hash_shingles(items: Iterable[str]) -> npt.NDArray[np.uint64]:
        """Each shingle's 4-byte blake2b digest read as a big-endian number."""
        digests = b"".join(
            hashlib.blake2b(s.encode("utf-8", "surrogatepass"), digest_size=4).digest()
            for s in items
        )
        return np.frombuffer(digests, dtype=">u4").astype(np.uint64)

    def signature(self, items: Iterable[str]) -> Signature:
        """The MinHash of a set of shingles; an empty set gives all-ones (matches nothing real)."""
        hv = self.hash_shingles(items)
        if hv.size == 0:
            return np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        perm = np.multiply.outer(hv % PRIME, self._a)  # (a·x + b) mod p, in place
        perm += self._b
        perm %= PRIME
        out: Signature = perm.min(axis=0).astype(np.uint32)
        return out

    def band_hashes(self, sigs: Signature, kind: str = "text") -> npt.NDArray[np.int64]:
        """Band hashes of one signature (shape ``(bands,)``) or many (shape ``(n, bands)``)."""
        arr = np.atleast_2d(sigs).astype(np.uint64).reshape(-1, self.bands, self.rows)
        h = (arr * self._row_mult).sum(axis=2, dtype=np.uint64)  # wraps modulo 2^64
        h ^= self._band_salt ^ np.uint64(_KIND_SALT[kind])
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(29)
        out: npt.NDArray[np.int64] = (h & _MASK63).astype(np.int64)
        return out[0] if np.ndim(sigs) == 1 else out


def jaccard_estimate(a: Signature, b: Signature) -> float:
    return float(np.count_nonzero(a == b)) / float(a.size)


def to_bytes(sig: Signature) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(raw: bytes) -> Signature:
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32)
