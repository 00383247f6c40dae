"""Read-only queries over earlier days of the lake (DuckDB over the Parquet files)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import duckdb

from newsflow.dedup.exact import Candidate


def _day_files(lake: str | os.PathLike[str], table: str, first: date, last: date) -> list[str]:
    """Parquet files of ``table`` for days in [first, last]."""
    root = Path(lake) / table
    if not root.is_dir():
        return []
    out: list[str] = []
    for part in sorted(root.glob("dt=*")):
        try:
            d = date.fromisoformat(part.name[3:])
        except ValueError:
            continue
        if first <= d <= last:
            out.extend(str(f) for f in sorted(part.glob("*.parquet")))
    return out


def earlier_representatives(
    lake: str | os.PathLike[str],
    day: date,
    *,
    horizon_days: int,
    urls: set[str],
    hashes: set[str],
) -> list[Candidate]:
    """Representatives of earlier days (within the horizon) sharing a URL or a text hash
    with today's articles: the originals today's copies may point to."""
    if horizon_days <= 0 or not (urls or hashes):
        return []
    files = _day_files(
        lake, "articles", day - timedelta(days=horizon_days), day - timedelta(days=1)
    )
    if not files:
        return []
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE u(k VARCHAR)")
    con.execute("CREATE TEMP TABLE h(k VARCHAR)")
    if urls:  # DuckDB refuses executemany with no rows (a day of texts without URLs)
        con.executemany("INSERT INTO u VALUES (?)", [(u,) for u in urls])
    if hashes:
        con.executemany("INSERT INTO h VALUES (?)", [(h,) for h in hashes])
    rows = con.execute(
        """SELECT article_id, canonical_url, content_hash, published_at, word_count, text, ingest_date
           FROM read_parquet(?, hive_partitioning = false)
           WHERE NOT is_duplicate
             AND (canonical_url IN (SELECT k FROM u) OR content_hash IN (SELECT k FROM h))""",
        [files],
    ).fetchall()
    return [Candidate(a, u, h, p, w, t, dt) for a, u, h, p, w, t, dt in rows]


def story_of_earlier(lake: str | os.PathLike[str], article_ids: set[str]) -> dict[str, str]:
    """story_id of articles published on earlier days (for today's copies of them)."""
    if not article_ids:
        return {}
    files = sorted(str(f) for f in Path(lake, "articles").glob("dt=*/*.parquet"))
    if not files:
        return {}
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE ids(k VARCHAR)")
    con.executemany("INSERT INTO ids VALUES (?)", [(a,) for a in article_ids])
    return dict(
        con.execute(
            """SELECT article_id, story_id FROM read_parquet(?, hive_partitioning = false)
               WHERE article_id IN (SELECT k FROM ids)""",
            [files],
        ).fetchall()
    )
