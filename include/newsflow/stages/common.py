"""What every stage shares: its result, the work folder, row batching and the reject sink."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from newsflow.config import Settings
from newsflow.lake import schema, storage
from newsflow.lake.partition import PartWriter, drop_partition, partition_dir
from newsflow.records import Reject
from newsflow.registry import LOG_COUNTS

log = logging.getLogger("newsflow")

WORK = "_work"


@dataclass
class StageResult:
    """What a stage did for one day (or one shard of it): its counts and where it wrote."""

    stage: str
    day: str
    path: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    shard: int | None = None  # which shard, for the DAG's mapped clean and tag tasks

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def work_dir(settings: Settings) -> Path:
    """``LAKE/_work``: where stages hand their output to the next one."""
    return storage.lake_path(settings.lake) / WORK


def batches(rows: Iterable[dict], schema_: pa.Schema, size: int = 500) -> Iterator[pa.RecordBatch]:
    """Rows as record batches of ``size``: a stage never holds more than one batch."""
    buf: list[dict] = []
    for row in rows:
        buf.append(row)
        if len(buf) >= size:
            yield pa.RecordBatch.from_pylist(buf, schema=schema_)
            buf = []
    if buf:
        yield pa.RecordBatch.from_pylist(buf, schema=schema_)


def partition_rows(folder: Path) -> int:
    """Rows of a partition, from the Parquet footers (nothing else is read)."""
    return sum(storage.parquet_file(f).metadata.num_rows for f in folder.glob("*.parquet"))


def require(folder: Path) -> Path:
    """``folder`` if it holds Parquet files, else the error that says what to run first."""
    if not any(folder.glob("*.parquet")):
        raise FileNotFoundError(f"no partition {folder}: run the previous stage first")
    return folder


def plan_shards(
    settings: Settings,
    day: str,
    stage: str,
    *,
    source: str,
    outputs: tuple[str, ...],
    most: int,
    per_shard: int,
    round_up: bool,
) -> list[int]:
    """The shards of a sharded stage over the rows of ``source``: at most ``most``, of
    about ``per_shard`` rows each (small days get one). What an earlier run of the stage
    left (its ``outputs`` and stats) is cleared, so a rerun with fewer shards leaves
    nothing stale."""
    work = work_dir(settings)
    rows = partition_rows(require(partition_dir(work, source, day)))
    wanted = -(-rows // per_shard) if round_up else rows // per_shard
    for table in outputs:
        drop_partition(work, table, day)
    for f in partition_dir(work, "stats", day).glob(f"{stage}*.json"):
        f.unlink()
    return list(range(max(1, min(most, wanted))))


def shard_slice(
    settings: Settings,
    day: str,
    table: str,
    shard: int,
    shards: int,
    *,
    columns: list[str] | None = None,
    batch_size: int = 200,
) -> Iterator[pa.RecordBatch]:
    """Rows ``[N*shard/shards, N*(shard+1)/shards)`` of a day's work partition."""
    files = [
        storage.parquet_file(f)
        for f in sorted(partition_dir(work_dir(settings), table, day).glob("*.parquet"))
    ]
    total = sum(f.metadata.num_rows for f in files)
    start, stop = total * shard // shards, total * (shard + 1) // shards
    offset = 0
    for f in files:
        for batch in f.iter_batches(batch_size=batch_size, columns=columns):
            lo, hi = max(start - offset, 0), min(stop - offset, batch.num_rows)
            offset += batch.num_rows
            if lo < hi:
                yield batch.slice(lo, hi - lo)
            if offset >= stop:
                return


def finish(result: StageResult, started: float, settings: Settings) -> StageResult:
    """Time the stage, keep its result beside the work files (the manifest reads them)
    and log one line saying what it read, wrote and rejected."""
    result.seconds = round(time.perf_counter() - started, 3)
    stats = partition_dir(work_dir(settings), "stats", result.day)
    stats.mkdir(parents=True, exist_ok=True)
    name = result.stage if result.shard is None else f"{result.stage}-{result.shard:05d}"
    tmp = stats / f".{name}.json.tmp"
    tmp.write_text(json.dumps(result.to_dict(), indent=2))
    storage.replace_file(tmp, stats / f"{name}.json")
    read, wrote, rejected = LOG_COUNTS[result.stage]
    c = result.counts
    log.info(
        "%s %s: read %s %s, wrote %s, rejected %s in %.2fs -> %s (%s)",
        result.stage,
        result.day,
        c.get(read, "?"),
        read,
        ", ".join(f"{c.get(k, '?')} {k}" for k in wrote),
        c.get(rejected, 0) if rejected else 0,
        result.seconds,
        result.path,
        ", ".join(f"{k}={v}" for k, v in c.items()),
    )
    return result


class RejectSink:
    """Rejects go to their partition as they come, a few at a time (one row group per
    ``reject_batch_bytes``), so their bytes are never all held in memory at once; bytes
    over ``reject_inline_bytes`` are streamed to ``LAKE/_raw/rejects`` instead of the row."""

    def __init__(self, writer: PartWriter, settings: Settings, day: str, max_rows: int = 200):
        from newsflow.lake.raw_rejects import RawRejects

        self._writer, self._max_rows = writer, max_rows
        self._max_bytes = settings.reject_batch_bytes
        self._raw = RawRejects(settings.lake, day, settings.reject_inline_bytes)
        self._rows: list[dict] = []
        self._bytes = 0

    def add(self, reject: Reject) -> None:
        row = reject.row() | self._raw.columns(reject.raw, reject.raw_source)
        self._rows.append(row)
        data = row["bytes"]
        self._bytes += len(data) if isinstance(data, bytes) else 0
        if len(self._rows) >= self._max_rows or self._bytes >= self._max_bytes:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self._writer.write(pa.RecordBatch.from_pylist(self._rows, schema=schema.REJECTS))
        self._rows, self._bytes = [], 0
