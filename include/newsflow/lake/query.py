"""Read-only queries over earlier days of the lake (DuckDB over the Parquet files)."""

from __future__ import annotations

import os
from datetime import date

from newsflow.lake import storage
from newsflow.lake.partition import settle


def day_files(lake: str | os.PathLike[str], table: str, first: date, last: date) -> list[str]:
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


def story_of_earlier(lake: str | os.PathLike[str], article_ids: set[str]) -> dict[str, str]:
    """story_id of articles published on earlier days (for today's copies of them)."""
    return _earlier(lake, article_ids, "story_id")


def text_of_earlier(lake: str | os.PathLike[str], article_ids: set[str]) -> dict[str, str]:
    """text of articles published on earlier days (the originals of today's near copies)."""
    return _earlier(lake, article_ids, "text")


def _earlier(lake: str | os.PathLike[str], article_ids: set[str], column: str) -> dict[str, str]:
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
            f"""SELECT article_id, "{column}" FROM read_parquet(?, hive_partitioning = false)
                WHERE article_id IN (SELECT k FROM ids)""",
            [files],
        ).fetchall()
    )
