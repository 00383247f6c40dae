"""Atomic, idempotent writes of one day's partition of a lake table.

A partition is written into a temporary folder under ``ROOT/_tmp`` (same
filesystem, outside every table, so no reader's glob can see it: DuckDB's ``*``
matches hidden names too), then swapped in with renames. Readers see either the
old or the new partition, never a half-written one. Re-running a day replaces the
folder, so reruns leave no extra files. On an object store the swap copies objects
instead of renaming folders (see ``storage``); the functions and layout are the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from newsflow.lake import storage

PART_NAME = "part-0.parquet"
log = logging.getLogger("newsflow")


def partition_dir(root: str | os.PathLike[str], table: str, day: str) -> Path:
    return storage.lake_path(root) / table / f"dt={day}"


def _scratch(final: Path) -> tuple[Path, str]:
    """The scratch folder for ``final`` (ROOT/table/dt=D) and the prefix of its entries."""
    return final.parent.parent / "_tmp", f"{final.parent.name}.{final.name}"


def recover(final: Path) -> None:
    """Finish or undo a swap that a crash interrupted, and drop stale temp folders."""
    scratch, prefix = _scratch(final)
    if not scratch.exists():
        return
    olds = sorted(scratch.glob(f"{prefix}.old-*"))
    if olds and not final.exists():
        final.parent.mkdir(parents=True, exist_ok=True)
        olds[-1].rename(final)  # the crash came between the two renames: restore
        olds = olds[:-1]
    # written folders that a publish journal still lists belong to finish_publish
    pending = [] if any(scratch.glob("publish.*.json")) else list(scratch.glob(f"{prefix}.tmp-*"))
    for stale in [*olds, *pending]:
        storage.remove_tree(stale)
    storage.remove_empty(scratch)


OPTIONS = {"compression": "zstd", "write_statistics": True}


def _as_table(batch: pa.RecordBatch | pa.Table, schema: pa.Schema) -> pa.Table:
    t = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    return t.cast(schema)


@contextlib.contextmanager
def partition_writer(
    root: str | os.PathLike[str],
    table: str,
    day: str,
    schema: pa.Schema,
    *,
    row_group_size: int = 10_000,
    swap: bool = True,
) -> Iterator[PartWriter]:
    """Stream batches into ``root/table/dt=day/part-0.parquet``: written in scratch, swapped
    in atomically when the block ends without an error, removed if it fails.

    For a stage that produces two tables in one pass (documents and rejects) without
    holding either in memory. ``swap=False`` leaves the folder in scratch
    (``writer.folder``) for ``publish_atomically``.
    """
    final = partition_dir(root, table, day)
    final.parent.mkdir(parents=True, exist_ok=True)
    recover(final)
    scratch, prefix = _scratch(final)
    tmp = scratch / f"{prefix}.tmp-{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    try:
        path = tmp / PART_NAME
        with storage.parquet_writer(path, schema, **OPTIONS) as pw:
            writer = PartWriter(pw, schema, row_group_size, tmp)
            yield writer
        storage.fsync(path)
        if swap:
            swap_in(tmp, final)
            writer.folder = final
    except BaseException:
        storage.remove_tree(tmp)
        raise
    finally:
        if swap:
            storage.remove_empty(scratch)


class PartWriter:
    """What ``partition_writer`` and ``part_writer`` yield: ``write(batch)`` appends
    (empty batches are skipped); ``folder`` is where the partition is (scratch until it is
    swapped in)."""

    def __init__(self, writer, schema: pa.Schema, row_group_size: int, folder: Path) -> None:
        self._writer, self._schema, self._rg = writer, schema, row_group_size
        self.folder = folder

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        if batch.num_rows:
            self._writer.write_table(_as_table(batch, self._schema), row_group_size=self._rg)


def write_partition(
    root: str | os.PathLike[str],
    table: str,
    day: str,
    batches: Iterable[pa.RecordBatch | pa.Table],
    schema: pa.Schema,
    *,
    row_group_size: int = 10_000,
    swap: bool = True,
) -> Path:
    """Stream ``batches`` into ``root/table/dt=day/part-0.parquet`` and swap it in
    atomically. ``swap=False`` leaves the written folder in scratch and returns it, for
    ``publish_atomically`` to swap several in together.
    """
    with partition_writer(
        root, table, day, schema, row_group_size=row_group_size, swap=swap
    ) as writer:
        for b in batches:
            writer.write(b)
    return writer.folder


def _journal(root: str | os.PathLike[str], day: str) -> Path:
    return storage.lake_path(root) / "_tmp" / f"publish.dt={day}.json"


def _relative(root: str | os.PathLike[str], path: Path) -> str:
    """``path`` relative to the lake root when it is under it (the journal then still
    works for a lake that was moved or copied), else as given."""
    base = str(storage.lake_path(root)).rstrip("/") + "/"
    text = str(path)
    return text[len(base) :] if text.startswith(base) else text


def _absolute(root: str | os.PathLike[str], entry: str) -> Path:
    if storage.is_url(entry) or os.path.isabs(entry):
        return storage.lake_path(entry)
    return storage.lake_path(root) / entry


def publish_atomically(
    root: str | os.PathLike[str],
    day: str,
    swaps: list[tuple[Path, Path]],
    drop: list[Path] = (),  # type: ignore[assignment]
) -> None:
    """Swap in several written folders (or files) as one step that survives a crash, then
    remove the ``drop`` folders (the day's work files, which the publish consumed).

    A journal listing every (scratch, final) pair and every folder to drop is written and
    fsynced first; a crash during the renames or the removals is then rolled forward by
    ``finish_publish`` (a stage taking the day, or ``settle`` for a reader) before the day
    is next read or written, so a day's tables and manifest never disagree for a reader,
    and a publish killed while it cleaned up still counts as done.
    """
    journal = _journal(root, day)
    journal.parent.mkdir(parents=True, exist_ok=True)
    tmp = journal.with_suffix(".json.tmp")
    entries = {
        "swaps": [[_relative(root, a), _relative(root, b)] for a, b in swaps],
        "drop": [_relative(root, d) for d in drop],
    }
    tmp.write_text(json.dumps(entries))
    storage.fsync(tmp)
    storage.replace_file(tmp, journal)
    finish_publish(root, day)


def finish_publish(root: str | os.PathLike[str], day: str) -> None:
    """Roll forward a publish of ``day`` that a crash interrupted (no-op otherwise).

    The caller holds the day's lock (a stage), or goes through ``settle`` (a reader)."""
    journal = _journal(root, day)
    if not journal.is_file():
        return
    entries = json.loads(journal.read_text())
    if isinstance(entries, list):  # a journal of swaps only
        entries = {"swaps": entries, "drop": []}
    for a, b in entries["swaps"]:
        src, final = _absolute(root, a), _absolute(root, b)
        if not src.exists():
            continue  # swapped in before the crash
        final.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            swap_in(src, final)
            recover(final)  # an .old-* folder a crash between the two renames left
        else:
            storage.replace_file(src, final)
    for folder in entries.get("drop", []):
        _drop(_absolute(root, folder))
    journal.unlink()
    storage.remove_empty(journal.parent)


def settle(root: str | os.PathLike[str], day: str | None = None, *, timeout: float = 60.0) -> None:
    """Make sure no reader sees a half-published day: roll forward the publish journal of
    ``day`` (of every day when None) that a crash left, as the next stage would.

    Safe against a concurrent writer: the roll-forward runs under the day's lock. While
    another process holds it, that process is publishing the day (every stage finishes a
    pending journal as soon as it takes the lock), so the reader waits until the journal
    is gone, at most ``timeout`` seconds. Costs one listing when nothing is pending. A
    lake the reader may not write (read-only) is read as it is.
    """
    from newsflow.lake.lock import LockTimeout, day_lock

    if day is None:
        pending = sorted((storage.lake_path(root) / "_tmp").glob("publish.dt=*.json"))
        days = [p.name[len("publish.dt=") : -len(".json")] for p in pending]
    else:
        days = [day] if _journal(root, day).is_file() else []
    for d in days:
        deadline = time.monotonic() + timeout
        while _journal(root, d).is_file():
            try:
                with day_lock(root, d, timeout=0):
                    finish_publish(root, d)
            except LockTimeout:
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"{d} is still being published by another run after {timeout:.0f} s"
                    ) from None
                time.sleep(0.05)
            except OSError as e:  # a read-only lake: no lock file, no renames
                log.warning("cannot finish the interrupted publish of %s (%s): reading as is", d, e)
                break


def swap_in(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp`` with two renames (each atomic on a POSIX filesystem);
    on an object store, object by object (each object's replacement is atomic)."""
    if storage.is_remote(final):
        storage.replace_folder_objects(tmp, final)
        return
    scratch, prefix = _scratch(final)
    old = scratch / f"{prefix}.old-{uuid.uuid4().hex}"
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    storage.remove_tree(old)


def partition_files(root: str | os.PathLike[str], table: str, day: str) -> list[Path]:
    """The Parquet files of one day's partition, in order, after rolling forward a swap a
    crash interrupted; a clear error when the previous stage has not written it."""
    settle(root, day)  # a publish a crash interrupted is finished first
    final = partition_dir(root, table, day)
    recover(final)
    files = sorted(final.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"no partition {final}: run the previous stage first")
    return files


def read_partition(root: str | os.PathLike[str], table: str, day: str) -> pa.Table:
    """Read one day's partition of a table (as the previous stage left it)."""
    files = partition_files(root, table, day)
    return pa.concat_tables([storage.read_table(f, partitioning=None) for f in files])


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def iter_partition(
    root: str | os.PathLike[str],
    table: str,
    day: str,
    *,
    columns: list[str] | None = None,
    batch_size: int = 1_000,
) -> Iterable[pa.RecordBatch]:
    """Stream one day's partition in record batches (bounded memory)."""
    for f in partition_files(root, table, day):
        yield from storage.parquet_file(f).iter_batches(batch_size=batch_size, columns=columns)


def rows_of(batches: Iterable[pa.RecordBatch], ids: pa.Array) -> Iterator[pa.RecordBatch]:
    """The rows of ``batches`` whose ``article_id`` is one of ``ids`` (empty batches
    left out)."""
    for b in batches:
        keep = b.filter(pc.is_in(b.column("article_id"), value_set=ids))
        if keep.num_rows:
            yield keep


def staged_copies(
    work: str | os.PathLike[str],
    root: str | os.PathLike[str],
    day: str,
    schemas: dict[str, pa.Schema],
    *,
    batch_size: int,
) -> list[tuple[Path, Path]]:
    """Each of ``work``'s ``schemas`` tables for ``day`` streamed into scratch under
    ``root``, as (scratch, final) pairs for ``publish_atomically`` to swap in with the
    day's tables (the dedup and story indexes' day parts)."""
    swaps = []
    for table, schema in schemas.items():
        batches = iter_partition(work, table, day, batch_size=batch_size)
        tmp = write_partition(root, table, day, batches, schema, swap=False)
        swaps.append((tmp, partition_dir(root, table, day)))
    return swaps


def drop_partition(root: str | os.PathLike[str], table: str, day: str) -> None:
    """Remove a day's partition, and the table's folder (and root) once they are empty."""
    _drop(partition_dir(root, table, day))


def _drop(part: Path) -> None:
    """Remove a partition folder, then its table folder and root if that left them empty."""
    storage.remove_tree(part)
    for folder in (part.parent, part.parent.parent):
        if not storage.remove_empty(folder):
            break  # not empty: other days still use it


def part_name(shard: int) -> str:
    """File name of shard ``shard`` of a work partition (zero-padded: sorts in shard order)."""
    return f"part-{shard:05d}.parquet"


@contextlib.contextmanager
def part_writer(
    root: str | os.PathLike[str], table: str, day: str, shard: int, schema: pa.Schema
) -> Iterator[PartWriter]:
    """Stream one shard's file of a day's partition, atomically (temp file + rename).

    Parallel tasks (Airflow mapped tasks) each write their own file into the same folder;
    readers glob ``*.parquet`` and see a shard's file whole or not at all. Whoever plans
    the shards clears the folder first (``drop_partition``), so reruns leave no stale parts.
    """
    final = partition_dir(root, table, day)
    final.mkdir(parents=True, exist_ok=True)
    path = final / part_name(shard)
    tmp = final / f".{path.name}.tmp-{uuid.uuid4().hex}"
    try:
        with storage.parquet_writer(tmp, schema, **OPTIONS) as pw:
            writer = PartWriter(pw, schema, 10_000, final)
            yield writer
        storage.fsync(tmp)
        storage.replace_file(tmp, path)
    except BaseException:
        storage.remove_tree(tmp)
        raise


def write_part(
    root: str | os.PathLike[str],
    table: str,
    day: str,
    shard: int,
    batches: Iterable[pa.RecordBatch | pa.Table],
    schema: pa.Schema,
) -> Path:
    """Write one shard's file of a day's partition (see ``part_writer``)."""
    with part_writer(root, table, day, shard, schema) as writer:
        for b in batches:
            writer.write(b)
    return partition_dir(root, table, day) / part_name(shard)
