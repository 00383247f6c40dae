"""Near-duplicates: MinHash signatures over word shingles, LSH banding, verification.

Syndicated copies differ from their original by headlines, page chrome, ad lines,
small edits and trimmed endings. Word k-shingles of the normalised text survive all
of these except where the edit is, so a copy keeps most of the original's shingles.
A MinHash signature estimates the Jaccard similarity of two shingle sets from
``num_perm`` small integers; LSH (``bands`` x ``rows``) turns "similar signatures"
into "same bucket hash in at least one band", so candidate pairs come from sorting
bucket hashes instead of comparing every pair.

Candidates are then verified on the signatures: a pair is a near-duplicate when the
estimated Jaccard is high (``jaccard``), or when the estimated containment of the
smaller text in the larger one is high (``containment``: a copy trimmed to its first
paragraphs is almost wholly inside its original even though the Jaccard is low).
Two different articles that share a long boilerplate block share shingles too, but
their own text keeps containment well below a copy's.

Everything in the hot path is numpy over whole batches: shingle hashes are combined
with vectorised polynomial hashing, all permutations are applied as one matrix
operation, and minima are taken per document with ``np.minimum.reduceat``. Hashes use
``zlib.crc32`` of each word and fixed seeds, so signatures are stable across
processes and days (the cross-day index stores their band hashes).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from newsflow.ids import normalise_for_hash

_MASK32 = np.uint64(0xFFFFFFFF)
_WORD_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant for combining word hashes
# rows of the permutation matrix taken per chunk: bounds memory to ~ chunk x num_perm x 8 B
_CHUNK_SHINGLES = 16_384


@dataclass(frozen=True)
class MinHashParams:
    """Shape of the signatures. Changing any field invalidates the cross-day index."""

    num_perm: int = 126
    bands: int = 42
    shingle_words: int = 5
    seed: int = 20240514

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    def __post_init__(self) -> None:
        if self.num_perm % self.bands:
            raise ValueError(f"num_perm {self.num_perm} is not a multiple of bands {self.bands}")

    def permutations(self) -> tuple[np.ndarray, np.ndarray]:
        """Multiply-shift hash functions ``(a*x + b) >> 32`` on 32-bit shingle hashes."""
        rng = np.random.Generator(np.random.PCG64(self.seed))
        a = rng.integers(1, 1 << 63, size=self.num_perm, dtype=np.uint64) | np.uint64(1)
        b = rng.integers(0, 1 << 63, size=self.num_perm, dtype=np.uint64)
        return a, b


def word_hashes(text: str) -> np.ndarray:
    """crc32 of each normalised word (uint64), the only per-word Python step."""
    words = normalise_for_hash(text).split()
    return np.fromiter((zlib.crc32(w.encode()) for w in words), np.uint64, len(words))


def shingle_hashes(words: np.ndarray, k: int) -> np.ndarray:
    """32-bit hashes of the word k-shingles (the whole text if shorter), deduplicated."""
    n = len(words)
    if n == 0:
        return np.zeros(1, np.uint64)
    k = min(k, n)
    m = n - k + 1
    h = np.zeros(m, np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _WORD_MULT + words[j : j + m]
        h ^= h >> np.uint64(29)
        h *= _WORD_MULT
    return np.unique((h >> np.uint64(32)) & _MASK32)


def signatures(texts: Iterable[str], params: MinHashParams) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (n x num_perm, uint32) and shingle-set sizes (n, int32)."""
    a, b = params.permutations()
    sets = [shingle_hashes(word_hashes(t), params.shingle_words) for t in texts]
    n = len(sets)
    sig = np.empty((n, params.num_perm), np.uint32)
    sizes = np.fromiter((len(s) for s in sets), np.int32, n)
    # documents go through in chunks of about _CHUNK_SHINGLES shingles (whole documents)
    start = 0
    while start < n:
        end, total = start, 0
        while end < n and (end == start or total + sizes[end] <= _CHUNK_SHINGLES):
            total += sizes[end]
            end += 1
        flat = np.concatenate(sets[start:end])
        with np.errstate(over="ignore"):
            perm = (flat[:, None] * a[None, :] + b[None, :]) >> np.uint64(32)
        offsets = np.concatenate(([0], np.cumsum(sizes[start : end - 1], dtype=np.int64)))
        sig[start:end] = np.minimum.reduceat(perm, offsets, axis=0).astype(np.uint32)
        start = end
    return sig, sizes


def band_hashes(sig: np.ndarray, params: MinHashParams) -> np.ndarray:
    """One int64 bucket hash per (document, band): n x bands."""
    n = sig.shape[0]
    rows = sig.reshape(n, params.bands, params.rows).astype(np.uint64)
    h = np.full((n, params.bands), np.uint64(0xCBF29CE484222325))
    with np.errstate(over="ignore"):
        for r in range(params.rows):
            h = (h ^ rows[:, :, r]) * np.uint64(0x100000001B3)
    # the band number goes into the hash so equal rows in different bands never collide
    h ^= np.arange(params.bands, dtype=np.uint64)[None, :] * _WORD_MULT
    return h.view(np.int64)


def candidate_pairs(bands: np.ndarray, *, window: int = 8) -> np.ndarray:
    """Index pairs (i < j) that share a bucket in some band, as an (m, 2) int64 array.

    Within a band, documents are sorted by bucket hash (ties by index, so the result
    depends only on the order of the rows, which the caller makes canonical) and each is
    paired with the next ``window`` documents of the same bucket. A bucket of ``s`` copies
    thus gives ``O(s * window)`` pairs, not ``O(s^2)``, and still connects all of them.
    """
    n, nb = bands.shape
    out = []
    idx_all = np.arange(n, dtype=np.int64)
    for band in range(nb):
        col = bands[:, band]
        order = np.lexsort((idx_all, col))
        hs, ids = col[order], idx_all[order]
        for d in range(1, min(window, n - 1) + 1):
            same = hs[d:] == hs[:-d]
            if not same.any():
                break
            i, j = ids[:-d][same], ids[d:][same]
            out.append(np.stack([np.minimum(i, j), np.maximum(i, j)], axis=1))
    if not out:
        return np.empty((0, 2), np.int64)
    pairs = np.concatenate(out)
    key = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([key // n, key % n], axis=1)


def estimate(
    sig_a: np.ndarray, size_a: np.ndarray, sig_b: np.ndarray, size_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Estimated Jaccard and containment (of the smaller set in the larger) per row pair."""
    jac = (sig_a == sig_b).mean(axis=1)
    sa, sb = size_a.astype(np.float64), size_b.astype(np.float64)
    inter = jac * (sa + sb) / (1.0 + jac)
    cont = np.minimum(1.0, inter / np.maximum(1.0, np.minimum(sa, sb)))
    return jac, cont


def is_near(jac: np.ndarray, cont: np.ndarray, *, jaccard: float, containment: float) -> np.ndarray:
    """The verification rule (see the module docstring)."""
    return (jac >= jaccard) | (cont >= containment)
