"""Issue 15, items 4 and 13: a reject keeps its whole input, and publishing many large
rejects stays in bounded memory.

Item 4: ``size`` and ``sha256`` of the whole input are in every reject row; the bytes are
in the row up to ``reject_inline_bytes``, above it in ``LAKE/_raw/rejects/dt=D/<sha256>``
(``raw_uri``), streamed, atomic, idempotent, also on an object store.
Item 13: ``newsflow publish`` of a day of many 20 MiB rejects, peak RSS under 1 GiB.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from newsflow import stages
from newsflow.config import load_settings
from newsflow.lake import schema, storage
from newsflow.lake.partition import read_partition
from newsflow.registry import STAGES
from support.peak_rss import run_peak
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DAY = "2024-05-14"
MIB = 1 << 20


def _rejects(lake: str | Path) -> dict[str, dict]:
    table = read_partition(lake, "rejects", DAY)
    return {r["source_uri"]: r for r in table.to_pylist()}


def _raw_files(lake: Path) -> dict[str, bytes]:
    folder = lake / "_raw" / "rejects" / f"dt={DAY}"
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.is_dir() else {}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _warc(records: list[bytes]) -> bytes:
    """A gzipped WARC with one HTML response record per body."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    for n, body in enumerate(records):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        rec = w.create_warc_record(
            f"https://example.org/{n}",
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
        )
        w.write_record(rec)
    return buf.getvalue()


@pytest.fixture
def day(tmp_path: Path) -> dict:
    """A day of rejects only: large (over max_input_bytes), large gzip, small, a WARC
    whose one record is over the limit."""
    inbox = tmp_path / "inbox"
    d = inbox / DAY
    d.mkdir(parents=True)
    files = {
        "big.html": os.urandom(3 * MIB),  # over the 2 MiB limit: too_large
        "big.txt.gz": gzip.compress(os.urandom(3 * MIB), compresslevel=1),  # too_large
        "small.bin": b"\x00\x01 not a format we read",  # unsupported_format, inline
        "mid.bin": os.urandom(200_000),  # unsupported_format, over the inline limit
        "crawl.warc.gz": _warc([b"<html>" + os.urandom(3 * MIB)]),  # record too_large
    }
    for name, data in files.items():
        (d / name).write_bytes(data)
    return {"inbox": inbox, "files": files, "lake": tmp_path / "lake"}


def _run(inbox: Path, lake: str | Path) -> None:
    """The whole pipeline for the day, bytes over 100 kB out of the row."""
    env = {"NEWSFLOW_REJECT_INLINE_BYTES": "100000", "NEWSFLOW_MAX_INPUT_BYTES": str(2 * MIB)}
    settings = load_settings(environ=env, inbox=str(inbox), lake=str(lake))
    stages.run(settings, DAY)


@pytest.mark.slow
def test_rejects_keep_the_whole_input(day: dict) -> None:
    """Item 4: no input is cut to max_input_bytes; size and sha256 are of the whole input,
    the bytes in the row when small, else in one file named by their sha256."""
    _run(day["inbox"], day["lake"])
    lake, files = day["lake"], day["files"]
    rows = _rejects(lake)
    assert read_partition(lake, "rejects", DAY).schema.equals(schema.REJECTS)
    raw = _raw_files(lake)
    for name in ("big.html", "big.txt.gz", "mid.bin"):
        r, data = rows[name], files[name]
        assert (r["size"], r["sha256"]) == (len(data), _sha(data)), name
        assert r["bytes"] is None, name
        assert r["raw_uri"] == f"_raw/rejects/dt={DAY}/{_sha(data)}"
        assert (lake / r["raw_uri"]).read_bytes() == data
    small = rows["small.bin"]
    assert small["bytes"] == files["small.bin"] and small["raw_uri"] is None
    assert (small["size"], small["sha256"]) == (len(files["small.bin"]), _sha(files["small.bin"]))
    # the WARC record over the limit: kept as it is in the file (bounded by the file,
    # never decompressed into the lake), a WARC readable on its own
    rec = rows["crawl.warc.gz#1"]
    assert rec["reason"].startswith("too_large") and rec["raw_uri"]
    kept = (lake / rec["raw_uri"]).read_bytes()
    assert rec["size"] == len(kept) and rec["sha256"] == _sha(kept)
    assert kept == files["crawl.warc.gz"]  # one record: the record is the whole file
    # nothing else (no temp files) in the raw folder; every input is accounted for
    assert set(raw) == {r["sha256"] for r in rows.values() if r["raw_uri"]}
    manifest = json.loads((lake / "_runs" / f"dt={DAY}" / "manifest.json").read_text())
    assert manifest["checks"]["inputs_accounted_for"] and manifest["inputs"] == len(rows)


@pytest.mark.slow
def test_rerun_is_idempotent_and_drops_files_no_longer_referenced(day: dict) -> None:
    """Item 4: a rerun gives the same rows and files; a republished day keeps only the raw
    files its rejects name."""
    _run(day["inbox"], day["lake"])
    first_rows, first_raw = _rejects(day["lake"]), _raw_files(day["lake"])
    _run(day["inbox"], day["lake"])
    assert _rejects(day["lake"]) == first_rows
    assert _raw_files(day["lake"]) == first_raw
    (day["inbox"] / DAY / "big.html").unlink()
    (day["inbox"] / DAY / "mid.bin").write_bytes(b"y" * 300_000)
    _run(day["inbox"], day["lake"])
    rows, raw = _rejects(day["lake"]), _raw_files(day["lake"])
    assert set(raw) == {r["sha256"] for r in rows.values() if r["raw_uri"]}
    assert _sha(day["files"]["big.html"]) not in raw
    assert raw[_sha(b"y" * 300_000)] == b"y" * 300_000


@pytest.mark.slow
def test_clean_rejects_keep_their_bytes_out_of_row(tmp_path: Path) -> None:
    """Item 4: an input clean rejects (too short) keeps its whole bytes as well."""
    d = tmp_path / "inbox" / DAY
    d.mkdir(parents=True)
    page = b"Three short words." + b" " * 300_000 + b"\n"
    (d / "short.txt").write_bytes(page)
    _run(tmp_path / "inbox", tmp_path / "lake")
    r = _rejects(tmp_path / "lake")["short.txt"]
    assert r["stage"] == "clean" and r["bytes"] is None
    assert (r["size"], r["sha256"]) == (len(page), _sha(page))
    assert (tmp_path / "lake" / r["raw_uri"]).read_bytes() == page


@pytest.mark.slow
def test_raw_rejects_on_an_object_store(day: dict) -> None:
    """Item 4: on an S3 lake the raw files are objects under the same key, and a rerun
    that no longer references one deletes it."""
    from support.s3server import s3_server

    lake = "s3://news/rejects-lake"
    with s3_server("news"):
        _run(day["inbox"], lake)
        fs = storage.lake_path(lake).fs
        rows = _rejects(lake)
        big = rows["big.html"]
        assert big["bytes"] is None
        with fs.open(f"news/rejects-lake/{big['raw_uri']}", "rb") as f:
            assert f.read() == day["files"]["big.html"]
        (day["inbox"] / DAY / "big.html").unlink()
        _run(day["inbox"], lake)
        keys = {k.rsplit("/", 1)[-1] for k in fs.find(f"news/rejects-lake/_raw/rejects/dt={DAY}")}
        assert keys == {r["sha256"] for r in _rejects(lake).values() if r["raw_uri"]}
        assert big["sha256"] not in keys
        assert not [k for k in fs.find("news/rejects-lake") if "/_tmp/" in k or ".tmp" in k]


def _cli(*args: str, env: dict[str, str]) -> tuple[int, float]:
    """Run the CLI in a subprocess; its peak RSS (KiB, its own rusage) and seconds."""
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "newsflow.cli", *args]
    with tempfile.TemporaryFile() as err:
        rc, peak_kib = run_peak(cmd, env=env, stderr=err)
        err.seek(0)
        assert rc == 0, err.read().decode()[-3000:]
    return peak_kib, time.perf_counter() - started


def large_rejects_day(inbox: Path, files: int, size: int = 20 * MIB + 1) -> None:
    """``files`` distinct inputs of ``size`` bytes: sparse (a header, then a hole), so they
    cost no disk in the inbox."""
    d = inbox / DAY
    d.mkdir(parents=True)
    for i in range(files):
        with open(d / f"big-{i:04d}.html", "wb") as f:
            f.write(f"<html>{i}".encode())
            f.truncate(size)


@pytest.mark.slow
def test_publish_of_many_large_rejects_stays_under_1_gib(tmp_path: Path) -> None:
    """Item 13: 150 rejected inputs of 20 MiB: ``newsflow publish`` peaks under 1 GiB
    (it read them 50 rows at a time: 2,000 such inputs peaked at 4.7 GB)."""
    files = 150
    large_rejects_day(tmp_path / "inbox", files)
    env = {**os.environ, "NEWSFLOW_INBOX": str(tmp_path / "inbox")}
    env["NEWSFLOW_LAKE"] = str(tmp_path / "lake")
    for stage in STAGES[:-1]:  # every stage before publish
        _cli(stage, "--day", DAY, env=env)
    peak_kib, seconds = _cli("publish", "--day", DAY, env=env)
    print(f"publish of {files} x 20 MiB rejects: peak RSS {peak_kib // 1024} MiB, {seconds:.1f}s")
    assert peak_kib < 1024 * 1024, f"publish peaked at {peak_kib // 1024} MiB"
    rejects = read_partition(tmp_path / "lake", "rejects", DAY)
    assert rejects.num_rows == files
    assert pc.sum(rejects.column("size")).as_py() == files * (20 * MIB + 1)


@pytest.mark.slow
def test_rejects_row_groups_are_bounded_by_bytes(tmp_path: Path) -> None:
    """Item 13: a reader loads a row group whole, so the published rejects' row groups are
    bounded in bytes (``reject_batch_bytes`` plus one row), however many rows fit (publish
    made groups of 50 rows whatever their size: 50 rows of 20 MiB = 1 GB)."""
    d = tmp_path / "inbox" / DAY
    d.mkdir(parents=True)
    for i in range(40):  # 40 rejects of 900 kB: each in its row (under the 1 MiB limit)
        (d / f"blob-{i:02d}.bin").write_bytes(os.urandom(900_000))
    stages.run(
        load_settings(environ={}, inbox=str(tmp_path / "inbox"), lake=str(tmp_path / "lake")), DAY
    )
    (f,) = (tmp_path / "lake" / "rejects" / f"dt={DAY}").glob("*.parquet")
    meta = pq.ParquetFile(f).metadata
    sizes = [meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)]
    assert sum(meta.row_group(i).num_rows for i in range(meta.num_row_groups)) == 40
    assert max(sizes) <= 9 * MIB + 64 * 1024, sizes


def test_an_input_gone_before_its_bytes_are_kept_is_still_one_reject(tmp_path: Path) -> None:
    """Item 4: an input that cannot be read again when its bytes are copied (removed since
    it was listed) is a reject with null bytes, size and sha256, not a failed run."""
    from newsflow.lake.raw_rejects import FileRange, RawRejects

    cols = RawRejects(tmp_path / "lake", DAY, 10).columns(b"", FileRange(tmp_path / "gone"))
    assert cols == {"bytes": None, "size": None, "sha256": None, "raw_uri": None}
