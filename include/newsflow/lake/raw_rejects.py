"""The whole bytes of every reject: in its row when small, else in a file of the lake.

A reject row carries ``size`` and ``sha256`` of the whole input. Up to
``reject_inline_bytes`` the bytes are in the row (``bytes``, ``raw_uri`` null); above it
they are streamed, chunk by chunk and hashed while copied, to
``LAKE/_raw/rejects/dt=D/<sha256>``, and the row holds ``raw_uri`` (that path, relative
to the lake root, so a copied or moved lake stays valid) with ``bytes`` null.

Files are named by their content, so a rerun of the day writes the same names; each
appears atomically (temp file + rename locally, one PUT on an object store). Publish
removes the files of the day its rejects no longer name (``prune``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import stat
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from newsflow.lake import storage
from newsflow.lake.partition import partition_dir

log = logging.getLogger(__name__)
RAW_ROOT = "_raw"
TABLE = "rejects"
CHUNK = 1 << 20


class Readable(Protocol):
    """A byte stream as the rejects sink reads it: ``read`` only (a file, ``BytesIO``, or
    a bounded view of a file)."""

    def read(self, size: int = -1, /) -> bytes: ...


class RawSource(Protocol):
    """Where a reject's bytes can be read again, whole, as a stream."""

    def open(self) -> contextlib.AbstractContextManager[Readable]: ...


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for reading only if it is a regular file, never through a link
    (O_NOFOLLOW) and never blocking (O_NONBLOCK: a FIFO put in its place after the inbox
    walk would hang the run). Every read of an inbox file goes through here."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{os.fspath(path)} is not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@dataclass(frozen=True, slots=True)
class FileRange:
    """Bytes ``[start, stop)`` of a local file (``stop`` None: to its end), e.g. an inbox
    file too large to read into memory, or one record of a WARC file as it is stored."""

    path: str | os.PathLike[str]
    start: int = 0
    stop: int | None = None

    @contextlib.contextmanager
    def open(self) -> Iterator[Readable]:
        with open_regular(self.path) as f:
            f.seek(self.start)
            yield f if self.stop is None else _Limited(f, self.stop - self.start)


class _Limited(io.RawIOBase):
    """At most ``left`` bytes of ``f``."""

    def __init__(self, f: BinaryIO, left: int) -> None:
        self._f, self._left = f, max(left, 0)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = self._left if size is None or size < 0 else min(size, self._left)
        data = self._f.read(n)
        self._left -= len(data)
        return data


def _read(stream: Readable, n: int) -> bytes:
    """Up to ``n`` bytes (loops over short reads)."""
    out = bytearray()
    while len(out) < n:
        chunk = stream.read(min(CHUNK, n - len(out)))
        if not chunk:
            break
        out += chunk
    return bytes(out)


def raw_folder(lake: str | os.PathLike[str], day: str) -> Path:
    return partition_dir(storage.lake_path(lake) / RAW_ROOT, TABLE, day)


class RawRejects:
    """Turns a reject's bytes into its ``bytes``/``size``/``sha256``/``raw_uri`` columns,
    holding at most ``inline_bytes`` plus one chunk in memory."""

    def __init__(self, lake: str | os.PathLike[str], day: str, inline_bytes: int) -> None:
        self.folder = raw_folder(lake, day)
        self.prefix = f"{RAW_ROOT}/{TABLE}/dt={day}"
        self.inline_bytes = inline_bytes

    def columns(self, raw: bytes, source: RawSource | None) -> dict[str, object]:
        """The columns for ``raw`` (in memory) or, when given, the whole of ``source``."""
        if source is None and len(raw) <= self.inline_bytes:
            return _inline(raw)
        opened = source.open() if source is not None else contextlib.nullcontext(io.BytesIO(raw))
        with contextlib.ExitStack() as stack:
            try:
                stream = stack.enter_context(opened)
            except OSError as e:  # gone or unreadable since it was listed: one reject, no crash
                log.warning("cannot read the bytes of a reject from %s: %s", source, e)
                return {"bytes": None, "size": None, "sha256": None, "raw_uri": None}
            head = _read(stream, self.inline_bytes + 1)
            if len(head) <= self.inline_bytes:
                return _inline(head)
            return self._spill(head, stream)

    def _spill(self, head: bytes, stream: Readable) -> dict[str, object]:
        remote = storage.is_remote(self.folder)
        if remote:  # written locally, then one PUT: the object appears whole
            tmp = Path(tempfile.gettempdir()) / f"newsflow-reject-{uuid.uuid4().hex}"
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".tmp-{uuid.uuid4().hex}"
        try:
            digest, size = hashlib.sha256(head), len(head)
            with open(tmp, "wb") as out:
                out.write(head)
                for chunk in iter(lambda: stream.read(CHUNK), b""):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.folder / sha
            if remote:
                if not final.exists():  # named by content: present means the same bytes
                    fs, key = storage.object_key(final)
                    fs.put_file(str(tmp), key)
            else:
                os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return {"bytes": None, "size": size, "sha256": sha, "raw_uri": f"{self.prefix}/{sha}"}


def _inline(raw: bytes) -> dict[str, object]:
    return {
        "bytes": raw,
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "raw_uri": None,
    }


def prune(lake: str | os.PathLike[str], day: str, keep: set[str]) -> int:
    """Remove the day's raw reject files (and temp files a crash left) whose name is not in
    ``keep``; returns how many. Called by publish once the day's rejects are swapped in."""
    folder = raw_folder(lake, day)
    if not folder.exists():
        return 0
    removed = 0
    for f in list(folder.iterdir()):
        if f.name not in keep:
            storage.remove_tree(f)
            removed += 1
    for d in (folder, folder.parent, folder.parent.parent):
        if not storage.remove_empty(d):
            break
    return removed
