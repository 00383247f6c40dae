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


def test_sorted_write(tmp_path: Path) -> None:
    t = pa.table({"k": ["b", "a", "c"], "v": [2, 1, 3]}, schema=SCHEMA)
    write_partition(tmp_path, "t", "2024-05-14", [t], SCHEMA, sort_by=[("k", "ascending")])
    assert read_partition(tmp_path, "t", "2024-05-14").column("k").to_pylist() == ["a", "b", "c"]
