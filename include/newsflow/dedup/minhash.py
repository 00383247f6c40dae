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

Everything in the hot path works on whole batches: Arrow kernels normalise and split
the texts, pandas hashes the words, numpy combines them into shingle hashes, applies
all permutations as one matrix operation and takes minima per document with
``np.minimum.reduceat``. Hashes use fixed keys and seeds, so signatures are stable
across processes and days (the cross-day index stores their band hashes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from newsflow.config import Settings

_MASK32 = np.uint64(0xFFFFFFFF)
_WORD_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant for combining word hashes
# rows of the permutation matrix taken per chunk: bounds memory to ~ chunk x num_perm x 8 B
_CHUNK_SHINGLES = 16_384


@dataclass(frozen=True)
class MinHashParams:
    """Shape of the signatures. Changing any field invalidates the cross-day index.

    The shape's defaults are the settings' (``Settings.dedup_*``): build it with
    ``from_settings`` so dedup, the repair of later days and the benchmarks agree.
    """

    num_perm: int
    bands: int
    shingle_words: int
    seed: int = 20240514

    @classmethod
    def from_settings(cls, settings: Settings) -> MinHashParams:
        return settings.params(cls, "dedup_")

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


def word_hashes(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the normalised words of a batch of texts, and the offsets
    (n + 1) of each text's words in them.

    Normalisation (NFKC, lower case, every run of non-letters/digits a space) and
    splitting run in Arrow's C++ kernels over the whole batch, and the words are hashed
    by pandas' vectorised SipHash with its fixed key: no per-word Python.
    """
    arr = pa.array([t or "" for t in texts], pa.large_string())
    norm = pc.replace_substring_regex(
        pc.utf8_lower(pc.utf8_normalize(arr, "NFKC")), r"[^\p{L}\p{N}]+", " "
    )
    lists = pc.utf8_split_whitespace(norm)
    offsets = lists.offsets.to_numpy().astype(np.int64)
    words = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
    hashes = pd.util.hash_array(words) if len(words) else np.empty(0, np.uint64)
    return hashes.astype(np.uint64, copy=False), offsets


def _mix(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(29))
        h = h * _WORD_MULT
    return (h >> np.uint64(32)) & _MASK32


def shingle_sets(hashes: np.ndarray, offsets: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Deduplicated 32-bit word-k-shingle hashes of every text, grouped by text (sorted),
    and each text's set size. A text shorter than ``k`` words is one shingle (an empty
    text: the hash of nothing)."""
    n = len(offsets) - 1
    lens = np.diff(offsets)
    m = len(hashes)
    doc_of_word = np.repeat(np.arange(n, dtype=np.int64), lens)
    parts_doc, parts_hash = [], []
    if m >= k:
        w = m - k + 1
        acc = np.zeros(w, np.uint64)
        with np.errstate(over="ignore"):
            for j in range(k):
                acc = acc * _WORD_MULT + hashes[j : j + w]
        starts = np.arange(w, dtype=np.int64)
        doc = doc_of_word[:w]
        ok = starts + k <= offsets[doc + 1]
        parts_doc.append(doc[ok])
        parts_hash.append(_mix(acc[ok]))
    short = np.flatnonzero(lens < k)
    for d in short.tolist():  # texts shorter than a shingle: rare, one shingle each
        acc = np.zeros(1, np.uint64)
        with np.errstate(over="ignore"):
            for x in hashes[offsets[d] : offsets[d + 1]]:
                acc = acc * _WORD_MULT + x
        parts_doc.append(np.array([d], np.int64))
        parts_hash.append(_mix(acc))
    if not parts_doc:
        return np.empty(0, np.uint64), np.zeros(n, np.int64)
    key = (np.concatenate(parts_doc).astype(np.uint64) << np.uint64(32)) | np.concatenate(
        parts_hash
    )
    key.sort()  # sort + neighbour test: far faster than np.unique's hash table here
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    sizes = np.bincount((key >> np.uint64(32)).astype(np.int64), minlength=n)
    return key & _MASK32, sizes


def signatures(texts: Sequence[str | None], params: MinHashParams) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (n x num_perm, uint32) and shingle-set sizes (n, int32)."""
    a, b = params.permutations()
    hashes, offsets = word_hashes(texts)
    flat, sizes = shingle_sets(hashes, offsets, params.shingle_words)
    n = len(sizes)
    sig = np.empty((n, params.num_perm), np.uint32)
    if n == 0:
        return sig, sizes.astype(np.int32)
    ends = np.cumsum(sizes)
    buf = np.empty((max(_CHUNK_SHINGLES, int(sizes.max())), params.num_perm), np.uint64)
    start = 0
    while start < n:
        base = ends[start - 1] if start else 0
        # whole texts, about _CHUNK_SHINGLES shingles at a time (at least one text)
        end = max(start + 1, int(np.searchsorted(ends, base + _CHUNK_SHINGLES, "right")))
        chunk = flat[base : ends[end - 1]]
        out = buf[: len(chunk)]
        with np.errstate(over="ignore"):
            np.multiply(chunk[:, None], a[None, :], out=out)
            np.add(out, b[None, :], out=out)
        np.right_shift(out, np.uint64(32), out=out)
        local = np.concatenate(([0], ends[start : end - 1] - base)).astype(np.int64)
        sig[start:end] = np.minimum.reduceat(out, local, axis=0)
        start = end
    return sig, sizes.astype(np.int32)


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
