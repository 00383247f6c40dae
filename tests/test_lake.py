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


def _memory_lake(tmp_path: Path) -> str:
    """An object-store lake in fsspec's in-memory filesystem (no rename, no fsync: the
    remote code paths), one per test."""
    return f"memory://{tmp_path.name}/lake"


def test_object_key_tells_an_object_store_path_from_a_local_one(tmp_path: Path) -> None:
    from newsflow.lake.storage import lake_path, object_key

    path = lake_path(_memory_lake(tmp_path)) / "articles" / "part-0.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PAR1")
    fs, key = object_key(path)
    assert key == f"/{tmp_path.name}/lake/articles/part-0.parquet"
    assert fs.cat_file(key) == b"PAR1"  # the same object, through the filesystem
    with pytest.raises(TypeError):
        object_key(tmp_path)


def test_a_large_reject_is_uploaded_to_an_object_store(tmp_path: Path) -> None:
    import hashlib

    from newsflow.lake.raw_rejects import FileRange, RawRejects
    from newsflow.lake.storage import lake_path

    lake = _memory_lake(tmp_path)
    src = tmp_path / "page.html"
    src.write_bytes(b"<html>" + b"x" * 100 + b"</html>")
    cols = RawRejects(lake, "2024-05-14", 16).columns(b"", FileRange(src, 6, 106))
    sha = hashlib.sha256(b"x" * 100).hexdigest()
    assert cols == {
        "bytes": None,
        "size": 100,
        "sha256": sha,
        "raw_uri": f"_raw/rejects/dt=2024-05-14/{sha}",
    }
    assert (lake_path(lake) / str(cols["raw_uri"])).read_bytes() == b"x" * 100


def test_a_fetch_archive_is_uploaded_to_an_object_store_and_replays(tmp_path: Path) -> None:
    from newsflow.ingest.fetch import FetchError, Response
    from newsflow.ingest.warc import RawArchive, ReplayFetcher
    from newsflow.lake.storage import lake_path

    final = lake_path(_memory_lake(tmp_path)) / "_fetched" / "dt=2024-05-14" / "f.warc.gz"
    archive = RawArchive(final)
    page = Response("https://ex.org/a", "https://ex.org/b", 200, {"x-k": "v"}, b"<p>a</p>")
    archive.record(page.url, page)
    archive.record("https://ex.org/c", FetchError("http_error", "HTTP 500", 500))
    assert archive.commit() == final and final.exists()
    replay = ReplayFetcher(final)
    got = replay.fetch(page.url)
    assert (got.final_url, got.status, got.body) == (page.final_url, 200, page.body)
    with pytest.raises(FetchError) as e:
        replay.fetch("https://ex.org/c")
    assert (e.value.code, e.value.status) == ("http_error", 500)
