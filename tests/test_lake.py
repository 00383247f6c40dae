from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from newsflow.lake.partition import read_partition, recover, write_partition

SCHEMA = pa.schema([("k", pa.string()), ("v", pa.int32())])


def _tbl(n: int) -> pa.Table:
    return pa.table({"k": [f"k{i}" for i in range(n)], "v": list(range(n))}, schema=SCHEMA)


def test_write_replace_and_read(tmp_path: Path) -> None:
    write_partition(tmp_path, "t", "2024-05-14", [_tbl(3)], SCHEMA)
    write_partition(tmp_path, "t", "2024-05-14", [_tbl(5)], SCHEMA)
    assert read_partition(tmp_path, "t", "2024-05-14").num_rows == 5
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["t/dt=2024-05-14/part-0.parquet"]  # no leftovers of the first write


def test_failed_write_leaves_the_old_partition(tmp_path: Path) -> None:
    write_partition(tmp_path, "t", "2024-05-14", [_tbl(3)], SCHEMA)

    def broken():
        yield _tbl(2)
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_partition(tmp_path, "t", "2024-05-14", broken(), SCHEMA)
    assert read_partition(tmp_path, "t", "2024-05-14").num_rows == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]  # no scratch left behind


def test_recover_after_a_crash_between_the_two_renames(tmp_path: Path) -> None:
    write_partition(tmp_path, "t", "2024-05-14", [_tbl(3)], SCHEMA)
    final = tmp_path / "t" / "dt=2024-05-14"
    scratch = tmp_path / "_tmp"
    scratch.mkdir()
    final.rename(scratch / "t.dt=2024-05-14.old-abc")  # crashed right after the first rename
    (scratch / "t.dt=2024-05-14.tmp-def").mkdir()  # and a half-written new one
    recover(final)
    assert read_partition(tmp_path, "t", "2024-05-14").num_rows == 3
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "t", "t/dt=2024-05-14", "t/dt=2024-05-14/part-0.parquet",
    ]  # fmt: skip


def test_a_write_in_progress_is_invisible_to_readers(tmp_path: Path) -> None:
    write_partition(tmp_path, "t", "2024-05-14", [_tbl(3)], SCHEMA)
    seen = []

    def slow():
        yield _tbl(7)
        # the new file is being written now: readers must still see the old partition only
        glob = str(tmp_path / "t" / "*" / "*.parquet")
        seen.append(duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall())
        seen.append(len(pd.read_parquet(tmp_path / "t")))

    write_partition(tmp_path, "t", "2024-05-15", slow(), SCHEMA)
    assert seen == [[(3,)], 3]
    assert len(pd.read_parquet(tmp_path / "t")) == 10
    glob = str(tmp_path / "t" / "*" / "*.parquet")
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall() == [(10,)]
    assert pl.scan_parquet(glob, hive_partitioning=True).collect().height == 10


def test_query_streams_a_sorted_day(tmp_path: Path, monkeypatch) -> None:
    """publish's sorts: every row in order, in batches, timestamps in UTC, and DuckDB's
    temporary folder gone afterwards (how far past memory_mb it spills is measured in
    benchmarks, not here)."""
    import tempfile

    import numpy as np
    from newsflow.lake.storage import query_batches

    n = 60_000
    keys = [f"{k:08d}" for k in np.random.default_rng(1).permutation(n)]
    sch = pa.schema(
        [("k", pa.string()), ("t", pa.large_string()), ("ts", pa.timestamp("us", "UTC"))]
    )
    table = pa.table(
        {"k": keys, "t": ["x" * 2_000] * n, "ts": np.arange(n) * 1_000_000}, schema=sch
    )  # ~120 MB of text
    folder = write_partition(tmp_path, "t", "2024-05-14", table.to_batches(5_000), sch)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    out: list[str] = []
    for b in query_batches(
        tmp_path,
        "SELECT k, t, ts FROM read_parquet($f) ORDER BY k",
        {"f": [str(folder / "part-0.parquet")]},
        batch_size=7_000,
        memory_mb=256,
    ):
        assert b.num_rows <= 7_000
        assert b.schema.field("ts").type == pa.timestamp("us", "UTC")
        assert any(temp.iterdir())  # DuckDB's temp folder, for spilling
        out.extend(b.column("k").to_pylist())
    assert out == sorted(keys)
    assert not any(temp.iterdir())
