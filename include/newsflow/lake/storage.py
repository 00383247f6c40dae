"""Where the lake lives: a local folder or an object store (S3, MinIO, GCS, ...).

Every lake path goes through :func:`lake_path`: a plain :class:`pathlib.Path` for a
local folder, a ``universal_pathlib`` ``UPath`` (fsspec; Airflow's
``ObjectStoragePath`` is the same kind of object) for a URL such as
``s3://bucket/lake``. Both have the pathlib API, so the stages, the manifest, the
queries and the report run the same code on either. The few operations whose meaning
differs are here, each with both implementations side by side:

- a local folder swaps partitions in with ``rename`` (atomic on POSIX) and fsyncs;
- an object store has no rename: each object is copied to its final key (a PUT or
  COPY of one object is atomic: a reader sees the old or the new object whole), keys
  the new partition no longer has are deleted, then the scratch copy. Published
  partitions are one file each, so a reader never sees half a partition; the publish
  journal (``partition.publish_atomically``) rolls a crash forward as it does locally.

S3 credentials and endpoint come from the usual environment variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL`` for MinIO),
read by s3fs/botocore; nothing about them is stored in the settings.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

Pathish = str | os.PathLike[str]

# Listing caches would show another process's (or an earlier run's) view of the lake
# to a long-lived process such as the api-server's plugin: turn them off.
_OPTIONS: dict[str, dict[str, Any]] = {
    "s3": {"use_listings_cache": False},
    "s3a": {"use_listings_cache": False},
    "gs": {"use_listings_cache": False},
    "gcs": {"use_listings_cache": False},
}


def is_url(location: Pathish) -> bool:
    """True for ``scheme://...`` (an object store or another fsspec filesystem)."""
    return not isinstance(location, PurePath) and "://" in str(location)


def normalise_location(location: Pathish) -> str:
    """The one spelling of a lake or inbox location, so that every consumer (the day
    lock, partitions, queries, root checks) sees the same place whatever was typed.

    A local path (or ``file://`` URL) becomes absolute and resolved: ``file:///x``,
    ``/x``, ``/x/``, ``/x/../x`` and ``x`` run from ``/`` are all ``/x``. Any other URL
    keeps its scheme (lower-cased) with ``.``, ``..``, doubled and trailing slashes
    folded: ``S3://b/x/../y/`` is ``s3://b/y``.
    """
    text = str(location) if _is_upath(location) else os.fspath(location)
    if not is_url(text):
        return str(Path(text).resolve())
    scheme, rest = text.split("://", 1)
    scheme = scheme.lower()
    if scheme == "file":
        return str(Path(rest or "/").resolve())
    folded = posixpath.normpath("/" + rest)[1:]  # keeps one leading "/" (memory:///x)
    return f"{scheme}://{folded.rstrip('/') or folded}"


def scheme(location: Pathish) -> str:
    """The scheme of a location: ``file`` for a local path or ``file://`` URL."""
    where = normalise_location(location)
    return where.split("://", 1)[0] if is_url(where) else "file"


def is_within(location: Pathish, root: Pathish) -> bool:
    """Whether ``location`` is ``root`` or lies inside it, both normalised first
    (``normalise_location``): the one containment test of the Params' roots and of the
    inbox/lake overlap check."""
    where, top = normalise_location(location), normalise_location(root)
    return where == top or where.startswith(top.rstrip("/") + "/")


def lake_path(location: Pathish) -> Path:
    """The lake location as a path object: ``Path`` locally, ``UPath`` for a URL.

    ``file://`` URLs become plain local paths (the local code path, with renames).
    """
    if isinstance(location, PurePath):
        return Path(location)
    if not is_url(location):
        return Path(os.fspath(location))
    if _is_upath(location):
        return location  # type: ignore[return-value]
    text = str(location)
    if text.startswith("file://"):
        return Path(text[len("file://") :])
    from upath import UPath

    protocol = text.split("://", 1)[0]
    return UPath(text, **_OPTIONS.get(protocol, {}))


def _is_upath(obj: object) -> bool:
    return type(obj).__module__.startswith("upath")


def object_key(path: Path) -> tuple[AbstractFileSystem, str]:
    """The fsspec filesystem and key of an object-store path, for the operations pathlib
    has no word for (server-side copy, recursive delete, upload). ``lake_path`` types
    every location as ``Path`` (a ``UPath`` has the same API), so the stages read alike
    locally and remotely; this is where a remote one is told apart."""
    from upath import UPath

    if not isinstance(path, UPath):
        raise TypeError(f"not an object-store path: {path!r}")
    return path.fs, path.path


def is_remote(path: Pathish) -> bool:
    """True when ``path`` is on an object store (no rename, no fsync, no flock):
    a ``UPath`` or a URL other than ``file://``."""
    return is_url(path) and not str(path).startswith("file://")


def parquet_file(path: Path) -> pq.ParquetFile:
    """Open a Parquet file for reading footers and streaming batches.

    ``pre_buffer`` is off: with it, ``iter_batches`` keeps every row group it has read
    buffered until the reader is done, so streaming a day's raw pages grew by ~35 KB per
    document (3 GB per clean worker at 100k pages)."""
    if is_remote(path):
        return pq.ParquetFile(path.open("rb"), pre_buffer=False)
    return pq.ParquetFile(path, pre_buffer=False)


def read_table(path: Path, **kwargs: Any):
    """Read one Parquet file whole."""
    if is_remote(path):
        with path.open("rb") as f:
            return pq.read_table(f, **kwargs)
    return pq.read_table(path, **kwargs)


@contextlib.contextmanager
def parquet_writer(path: Path, schema, **kwargs: Any):
    """A ``ParquetWriter`` on ``path``; on an object store the object appears when it is
    closed (a multipart upload completes at once), never half-written."""
    if is_remote(path):
        with path.open("wb") as f, pq.ParquetWriter(f, schema, **kwargs) as writer:
            yield writer
    else:
        with pq.ParquetWriter(path, schema, **kwargs) as writer:
            yield writer


def remove_tree(path: Path) -> None:
    """Delete a folder (or file) and everything under it; missing is fine."""
    if is_remote(path):
        with contextlib.suppress(FileNotFoundError):
            fs, key = object_key(path)
            fs.rm(key, recursive=True)
        return
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def remove_empty(path: Path) -> bool:
    """Remove an empty folder; False if it is not empty. Object stores have no empty
    folders (a prefix exists while a key under it does), so there it is a no-op."""
    if is_remote(path):
        return not any(path.iterdir()) if path.exists() else True
    try:
        path.rmdir()
    except OSError:
        return False
    return True


def replace_file(src: Path, dst: Path) -> None:
    """Move one file over another: ``os.replace`` locally (atomic), copy + delete on an
    object store (the copy replaces the object atomically)."""
    if is_remote(src):
        fs, key = object_key(src)
        fs.copy(key, object_key(dst)[1])
        fs.rm(key)
    else:
        os.replace(src, dst)


def replace_folder_objects(src: Path, dst: Path) -> None:
    """Object-store swap of folder ``src`` into ``dst``: copy every object, drop keys
    ``dst`` has that ``src`` has not, then drop ``src``."""
    fs, src_key = object_key(src)
    src_root, dst_root = src_key.rstrip("/"), object_key(dst)[1].rstrip("/")
    new = {f[len(src_root) + 1 :] for f in fs.find(src_root)}
    for rel in sorted(new):
        fs.copy(f"{src_root}/{rel}", f"{dst_root}/{rel}")
    with contextlib.suppress(FileNotFoundError):
        for f in fs.find(dst_root):
            if f[len(dst_root) + 1 :] not in new:
                fs.rm(f)
    with contextlib.suppress(FileNotFoundError):
        fs.rm(src_root, recursive=True)


def fsync(path: Path) -> None:
    """Flush a local file to disk before it is renamed into place (no-op remotely:
    an object store acknowledges a PUT once it is durable)."""
    if is_remote(path):
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def duckdb_connect(lake: Pathish):
    """A DuckDB connection that can read the lake's files: for an object store the
    lake's fsspec filesystem is registered, so ``read_parquet('s3://...')`` goes
    through the same client and credentials as the writers (no httpfs extension)."""
    import duckdb

    con = duckdb.connect()
    path = lake_path(lake)
    if is_remote(path):
        con.register_filesystem(object_key(path)[0])
    return con


def query_batches(
    lake: Pathish,
    sql: str,
    params: dict[str, Any] | None = None,
    *,
    tables: dict[str, Any] | None = None,
    batch_size: int = 10_000,
    memory_mb: int = 1_024,
) -> Iterator[pa.RecordBatch]:
    """Stream a DuckDB query over the lake's files in record batches, in bounded memory.

    Past ``memory_mb`` DuckDB spills (a sort of a whole day's articles, a join) to a
    temporary local folder instead of growing; ``tables`` are Arrow tables the query
    can name. Timestamps come back in UTC, as the lake stores them.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="newsflow-duckdb-") as tmp:
        con = duckdb_connect(lake)
        try:
            con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
            con.execute(f"SET temp_directory = '{tmp}'")
            con.execute("SET TimeZone = 'UTC'")
            for name, table in (tables or {}).items():
                con.register(name, table)
            yield from con.sql(sql, params=params or {}).to_arrow_reader(batch_size)
        finally:
            con.close()


def uri(path: Path) -> str:
    """The path as DuckDB and people read it: ``/abs/path`` or ``s3://bucket/key``."""
    return str(path) if is_remote(path) else path.as_posix()
