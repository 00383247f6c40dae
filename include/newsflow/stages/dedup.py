"""dedup: ``_work/cleaned`` -> ``_work/deduped`` + ``_work/duplicates``: URL, exact and
near-duplicate copies, also of earlier days' articles within the horizon.

Texts are read in batches and only their MinHash signatures are kept (~500 bytes per
article with the defaults), so memory grows with the number of articles, not with their
length. The day's representatives' bands and signatures go to ``_work/minhash*``;
publish moves them into the cross-day index (``newsflow.dedup.index``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date

import numpy as np
import pyarrow as pa

from newsflow.config import Settings
from newsflow.dedup import Candidate, deduplicate, index, minhash, near
from newsflow.lake import schema
from newsflow.lake.partition import write_partition
from newsflow.stages.clean import cleaned_batches
from newsflow.stages.common import StageResult, finish, work_dir

_COLUMNS = ["article_id", "canonical_url", "content_hash", "published_at", "word_count", "text"]


def dedup(settings: Settings, day: str) -> StageResult:
    """Mark the day's copies (``is_duplicate``, ``duplicate_of``) and list them."""
    started = time.perf_counter()
    work = work_dir(settings)
    the_day = date.fromisoformat(day)
    params = minhash.MinHashParams.from_settings(settings)
    rule = near.NearRule(settings.dedup_near_jaccard, settings.dedup_near_containment)
    horizon = settings.dedup_horizon_days
    metas: list[Candidate] = []
    sig_parts = [np.empty((0, params.num_perm), np.uint32)]
    size_parts = [np.empty(0, np.int32)]
    for b in cleaned_batches(work, day, columns=_COLUMNS, batch_size=settings.dedup_batch_size):
        d = b.to_pydict()
        if settings.dedup_near:
            s, z = minhash.signatures(d["text"], params)
            sig_parts.append(s)
            size_parts.append(z)
        metas.extend(Candidate(*row) for row in zip(*(d[c] for c in _COLUMNS[:-1]), strict=True))
    # canonical order (by id): pairs, clusters and files do not depend on input order
    order = sorted(range(len(metas)), key=lambda k: metas[k].article_id)
    today = [metas[k] for k in order]
    ids = [c.article_id for c in today]
    edges: list[tuple[str, str]] = []
    old: dict[str, tuple[np.ndarray, int]] = {}
    if settings.dedup_near:
        sig = np.concatenate(sig_parts)[order]
        sizes = np.concatenate(size_parts)[order]
        bands = minhash.band_hashes(sig, params)
        i, j, _ = near.pairs_within(sig, sizes, bands, rule)
        edges = [(ids[a], ids[b]) for a, b in zip(i.tolist(), j.tolist(), strict=True)]
        today_sigs = index.Signatures(ids, sig, sizes, bands)
        across, old = index.cross_day_edges(
            settings.lake, the_day, today_sigs, horizon_days=horizon, rule=rule
        )
        edges += across
    else:
        sig = np.empty((len(today), params.num_perm), np.uint32)
        sizes = np.zeros(len(today), np.int32)
        bands = np.empty((len(today), 0), np.int64)
    del sig_parts, size_parts
    row_of = {a: k for k, a in enumerate(ids)}
    earlier = index.earlier_representatives(
        settings.lake,
        the_day,
        horizon_days=horizon,
        urls={c.canonical_url for c in today if c.canonical_url},
        hashes={c.content_hash for c in today},
        ids={b for _, b in edges if b not in row_of},
    )

    def signature_of(a: str) -> np.ndarray | None:
        if a in row_of and settings.dedup_near:
            return sig[row_of[a]]
        return old[a][0] if a in old else None

    def similarity(a: str, b: str) -> float | None:
        sa, sb = signature_of(a), signature_of(b)
        return None if sa is None or sb is None else float((sa == sb).mean())

    assignment, dups = deduplicate(today, earlier, day=the_day, near=edges, similarity=similarity)

    def rows() -> Iterator[pa.Table]:
        for batch in cleaned_batches(work, day, batch_size=1_000):
            bids = batch.column("article_id").to_pylist()
            cluster, is_dup, dup_of = (
                zip(*(assignment[i] for i in bids), strict=True) if bids else ((), (), ())
            )
            t = pa.Table.from_batches([batch])
            t = t.append_column("dedup_cluster_id", pa.array(cluster, pa.string()))
            t = t.append_column("is_duplicate", pa.array(is_dup, pa.bool_()))
            t = t.append_column("duplicate_of", pa.array(dup_of, pa.string()))
            yield t.select(schema.DEDUPED.names)

    out = write_partition(work, "deduped", day, rows(), schema.DEDUPED)
    dup_rows = pa.Table.from_pylist([asdict(d) for d in dups], schema.DUPLICATES)
    write_partition(work, "duplicates", day, [dup_rows], schema.DUPLICATES)
    # the day's representatives, for the cross-day index (publish moves them to _state)
    reps = np.array([not assignment[a][1] for a in ids], bool) & settings.dedup_near
    rep_ids = [a for a, r in zip(ids, reps.tolist(), strict=True) if r]
    rep_sigs = index.Signatures(rep_ids, sig[reps], sizes[reps], bands[reps])
    for table, rows_ in index.index_tables(rep_sigs).items():
        write_partition(work, table, day, [rows_], index.INDEX_SCHEMAS[table])
    counts = {
        "articles": len(assignment),
        "duplicates": len(dups),
        "by_url": sum(d.method == "url" for d in dups),
        "exact": sum(d.method == "exact" for d in dups),
        "near": sum(d.method == "near" for d in dups),
        "of_earlier_days": sum(d.duplicate_of_dt != the_day for d in dups),
    }
    return finish(StageResult("dedup", day, str(out), counts), started, settings)
