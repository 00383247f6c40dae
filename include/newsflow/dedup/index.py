"""The cross-day index of near-duplicates, and the earlier days' originals a copy may
point to.

Every published day keeps its representatives' MinHash bands and signatures under
``LAKE/_state/minhash/dt=D`` and ``LAKE/_state/minhash_signatures/dt=D``. A later day's
dedup looks up candidates sharing a band bucket within the horizon, verifies them on the
signatures, and links its copies to those originals. Only days that reached publish are
in the index: a day's part is swapped in with its tables.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from newsflow.config import Settings
from newsflow.dedup import near
from newsflow.dedup.exact import Candidate
from newsflow.lake import schema, storage
from newsflow.lake.partition import (
    settle,
    staged_copies,
)
from newsflow.lake.query import day_files

STATE = "_state"
# LAKE/_state/minhash/dt=D: (article_id, band, bucket) of D's representatives
INDEX_BANDS = "minhash"
# LAKE/_state/minhash_signatures/dt=D: (article_id, shingles, signature)
INDEX_SIGNATURES = "minhash_signatures"
INDEX_SCHEMAS = {INDEX_BANDS: schema.MINHASH_BANDS, INDEX_SIGNATURES: schema.MINHASH_SIGNATURES}


def earlier_representatives(
    lake: str | os.PathLike[str],
    day: date,
    *,
    horizon_days: int,
    urls: set[str],
    hashes: set[str],
    ids: set[str] | None = None,
) -> list[Candidate]:
    """Representatives of earlier days (within the horizon) sharing a URL or a text hash
    with today's articles, or named in ``ids`` (near-duplicate matches of the index):
    the originals today's copies may point to."""
    settle(lake)  # an earlier day's publish a crash interrupted is finished first
    ids = ids or set()
    if horizon_days <= 0 or not (urls or hashes or ids):
        return []
    files = day_files(lake, "articles", day - timedelta(days=horizon_days), day - timedelta(days=1))
    if not files:
        return []
    con = storage.duckdb_connect(lake)
    con.register("u", pa.table({"k": pa.array(sorted(urls), pa.string())}))
    con.register("h", pa.table({"k": pa.array(sorted(hashes), pa.string())}))
    con.register("i", pa.table({"k": pa.array(sorted(ids), pa.string())}))
    rows = con.execute(
        """SELECT article_id, canonical_url, content_hash, published_at, word_count, text, ingest_date
           FROM read_parquet(?, hive_partitioning = false)
           WHERE NOT is_duplicate
             AND (canonical_url IN (SELECT k FROM u) OR content_hash IN (SELECT k FROM h)
                  OR article_id IN (SELECT k FROM i))""",
        [files],
    ).fetchall()
    return [Candidate(a, u, h, p, w, t, dt) for a, u, h, p, w, t, dt in rows]


def _horizon(lake: str | os.PathLike[str], table: str, day: date, horizon_days: int) -> list[str]:
    """The index part's files of the ``horizon_days`` days before ``day``, after
    finishing an earlier day's publish that a crash interrupted."""
    settle(lake)
    first, last = day - timedelta(days=horizon_days), day - timedelta(days=1)
    return day_files(storage.lake_path(lake) / STATE, table, first, last)


def index_candidates(
    lake: str | os.PathLike[str],
    day: date,
    *,
    horizon_days: int,
    bands: np.ndarray,
    per_document: int = 20,
) -> tuple[np.ndarray, list[str]]:
    """Earlier representatives sharing an LSH bucket with today's documents.

    ``bands`` is today's n x bands bucket matrix. Returns (today's row index, earlier
    article_id) pairs, at most ``per_document`` per row (those sharing most bands, ties by
    id, so the result is deterministic even for a bucket that many articles share).
    """
    files = _horizon(lake, INDEX_BANDS, day, horizon_days)
    if horizon_days <= 0 or not files or not bands.size:
        return np.empty(0, np.int64), []
    n, nb = bands.shape
    today = pa.table(
        {
            "idx": np.repeat(np.arange(n, dtype=np.int64), nb),
            "band": np.tile(np.arange(nb, dtype=np.int16), n),
            "bucket": bands.reshape(-1),
        }
    )
    con = storage.duckdb_connect(lake)
    con.register("t", today)
    rows = con.execute(
        """SELECT idx, article_id FROM (
               SELECT t.idx, s.article_id, count(*) AS shared
               FROM t JOIN read_parquet(?, hive_partitioning = false) s
                 ON t.band = s.band AND t.bucket = s.bucket
               GROUP BY ALL)
           QUALIFY row_number() OVER (PARTITION BY idx ORDER BY shared DESC, article_id)
                   <= ?
           ORDER BY idx, article_id""",
        [files, per_document],
    ).fetchall()
    if not rows:
        return np.empty(0, np.int64), []
    idx, ids = zip(*rows, strict=True)
    return np.asarray(idx, np.int64), list(ids)


def index_signatures(
    lake: str | os.PathLike[str], day: date, *, horizon_days: int, ids: set[str], num_perm: int
) -> dict[str, tuple[np.ndarray, int]]:
    """Signatures and shingle counts of earlier representatives, by article_id.

    Signatures of another length (the index was built with other MinHash settings) are
    skipped: they cannot be compared.
    """
    files = _horizon(lake, INDEX_SIGNATURES, day, horizon_days)
    if not ids or not files:
        return {}
    con = storage.duckdb_connect(lake)
    con.register("i", pa.table({"k": pa.array(sorted(ids), pa.string())}))
    rows = con.execute(
        """SELECT article_id, shingles, signature FROM read_parquet(?, hive_partitioning = false)
           WHERE article_id IN (SELECT k FROM i)""",
        [files],
    ).fetchall()
    return {
        a: (np.frombuffer(sig, np.uint32), n)
        for a, n, sig in rows
        if sig is not None and len(sig) == 4 * num_perm
    }


class Signatures(NamedTuple):
    """Articles' MinHash data, row for row: what the index keeps of a representative."""

    ids: list[str]
    sig: np.ndarray  # n x num_perm uint32
    sizes: np.ndarray  # shingles per article
    bands: np.ndarray  # n x bands bucket hashes


def cross_day_edges(
    lake: str | os.PathLike[str],
    day: date,
    today: Signatures,
    *,
    horizon_days: int,
    rule: near.NearRule,
) -> tuple[list[tuple[str, str]], dict[str, tuple[np.ndarray, int]]]:
    """(today's id, earlier id) near-duplicate pairs against the index within the horizon,
    and the earlier representatives' (signature, shingles) that took part."""
    ids, sig, sizes, bands = today
    t_idx, old_ids = index_candidates(lake, day, horizon_days=horizon_days, bands=bands)
    old = index_signatures(
        lake, day, horizon_days=horizon_days, ids=set(old_ids), num_perm=sig.shape[1]
    )
    if not old:
        return [], old
    names = sorted(old)
    pos = {a: k for k, a in enumerate(names)}
    keep = np.array([a in pos for a in old_ids], bool)
    o_idx = np.array([pos[a] for a in old_ids if a in pos], np.int64)
    o_sig = np.stack([old[a][0] for a in names])
    o_size = np.array([old[a][1] for a in names], np.int32)
    a, b, _ = near.pairs_across(sig, sizes, t_idx[keep], o_sig, o_size, o_idx, rule)
    return [(ids[x], names[y]) for x, y in zip(a.tolist(), b.tolist(), strict=True)], old


def index_tables(reps: Signatures) -> dict[str, pa.Table]:
    """The index rows of representatives (their signatures, shingle counts and band
    buckets): one table per index part."""
    ids, sig, sizes, bands = reps
    nb = bands.shape[1]
    rep_ids = pa.array(ids, pa.string())
    return {
        INDEX_BANDS: pa.table(
            {
                "article_id": pa.array(np.repeat(np.array(ids, object), nb), pa.string())
                if ids
                else pa.array([], pa.string()),
                "band": np.tile(np.arange(nb, dtype=np.int16), len(ids)),
                "bucket": bands.reshape(-1),
            },
        ).cast(schema.MINHASH_BANDS),
        INDEX_SIGNATURES: pa.table(
            {
                "article_id": rep_ids,
                "shingles": sizes,
                "signature": pa.array(
                    [r.tobytes() for r in np.ascontiguousarray(sig)], pa.binary()
                ),
            }
        ).cast(schema.MINHASH_SIGNATURES),
    }


def publish_index(settings: Settings, work: Path, day: str) -> list[tuple[Path, Path]]:
    """Write the day's part of the index from dedup's work files (``work/minhash*``).

    Each part is written to scratch and returned as (scratch, final) for
    ``publish_atomically`` to swap in with the day's tables: re-running a day replaces
    only its own part of the index, and a day that never reached publish is not in it.
    """
    state = storage.lake_path(settings.lake) / STATE
    return staged_copies(work, state, day, INDEX_SCHEMAS, batch_size=50_000)
