"""Near-duplicate pairs of one day, and of the day against the cross-day index.

The caller hands over the day's signatures in a canonical order (sorted by
article_id), so the pairs found, and every cluster built from them, do not depend on
the order of input files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from newsflow.dedup.minhash import candidate_pairs, estimate, is_near


@dataclass(frozen=True)
class NearRule:
    """Verification thresholds (``Settings.dedup_near_*``)."""

    jaccard: float = 0.7
    containment: float = 0.75
    window: int = 8


def pairs_within(
    sig: np.ndarray, sizes: np.ndarray, bands: np.ndarray, rule: NearRule
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Verified near pairs among one day's documents: (i, j, estimated Jaccard)."""
    cand = candidate_pairs(bands, window=rule.window)
    if not len(cand):
        return cand[:, 0], cand[:, 1], np.empty(0)
    i, j, jac = _verify(sig, sizes, cand[:, 0], sig, sizes, cand[:, 1], rule)
    return i, j, jac


def pairs_across(
    sig: np.ndarray,
    sizes: np.ndarray,
    today_idx: np.ndarray,
    old_sig: np.ndarray,
    old_sizes: np.ndarray,
    old_idx: np.ndarray,
    rule: NearRule,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Verified pairs (today's index, earlier index, Jaccard) among index candidates."""
    if not len(today_idx):
        return today_idx, old_idx, np.empty(0)
    return _verify(sig, sizes, today_idx, old_sig, old_sizes, old_idx, rule)


def _verify(sig_a, size_a, ia, sig_b, size_b, ib, rule: NearRule, chunk: int = 50_000):
    keep_a, keep_b, sims = [], [], []
    for s in range(0, len(ia), chunk):
        a, b = ia[s : s + chunk], ib[s : s + chunk]
        jac, cont = estimate(sig_a[a], size_a[a], sig_b[b], size_b[b])
        ok = is_near(jac, cont, jaccard=rule.jaccard, containment=rule.containment)
        keep_a.append(a[ok])
        keep_b.append(b[ok])
        sims.append(jac[ok])
    return np.concatenate(keep_a), np.concatenate(keep_b), np.concatenate(sims)
