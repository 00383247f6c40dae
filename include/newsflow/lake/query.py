"""Read-only queries over earlier days of the lake (DuckDB over the Parquet files)."""

from __future__ import annotations

import os
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from newsflow.dedup.exact import Candidate
from newsflow.lake import storage
from newsflow.lake.partition import settle

STATE = "_state"
INDEX_BANDS = (
    "minhash"  # LAKE/_state/minhash/dt=D: (article_id, band, bucket) of D's representatives
)
INDEX_SIGNATURES = "minhash_signatures"  # LAKE/_state/minhash_signatures/dt=D: signatures


def _day_files(lake: str | os.PathLike[str], table: str, first: date, last: date) -> list[str]:
    """Parquet files of ``table`` for days in [first, last] (the caller settled the lake)."""
    root = storage.lake_path(lake) / table
    if not root.is_dir():
        return []
    out: list[str] = []
    for part in sorted(root.glob("dt=*")):
        try:
            d = date.fromisoformat(part.name[3:])
        except ValueError:
            continue
        if first <= d <= last:
            out.extend(storage.uri(f) for f in sorted(part.glob("*.parquet")))
    return out


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
    files = _day_files(
        lake, "articles", day - timedelta(days=horizon_days), day - timedelta(days=1)
    )
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


def story_of_earlier(lake: str | os.PathLike[str], article_ids: set[str]) -> dict[str, str]:
    """story_id of articles published on earlier days (for today's copies of them)."""
    settle(lake)  # an earlier day's publish a crash interrupted is finished first
    if not article_ids:
        return {}
    files = sorted(
        storage.uri(f) for f in (storage.lake_path(lake) / "articles").glob("dt=*/*.parquet")
    )
    if not files:
        return {}
    con = storage.duckdb_connect(lake)
    con.execute("CREATE TEMP TABLE ids(k VARCHAR)")
    con.executemany("INSERT INTO ids VALUES (?)", [(a,) for a in article_ids])
    return dict(
        con.execute(
            """SELECT article_id, story_id FROM read_parquet(?, hive_partitioning = false)
               WHERE article_id IN (SELECT k FROM ids)""",
            [files],
        ).fetchall()
    )


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
    settle(lake)  # an earlier day's publish a crash interrupted is finished first
    files = _day_files(
        storage.lake_path(lake) / STATE,
        INDEX_BANDS,
        day - timedelta(days=horizon_days),
        day - timedelta(days=1),
    )
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
    settle(lake)  # an earlier day's publish a crash interrupted is finished first
    files = _day_files(
        storage.lake_path(lake) / STATE,
        INDEX_SIGNATURES,
        day - timedelta(days=horizon_days),
        day - timedelta(days=1),
    )
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
