"""A per-day lock, so two runs of one day (two CLI calls, a manual and a scheduled
Airflow run) take turns instead of interleaving their writes to the same partitions.

``fcntl.flock`` on ``LAKE/_state/locks/<day>.lock``: the kernel releases it when the
holder dies (even by SIGKILL), so a crashed run never leaves a stale lock. Re-entrant
within a process (``run`` holds it while each stage takes it again).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsflow.lake import storage

_held: dict[str, tuple[int, int]] = {}  # path -> (fd, depth)
_guard = threading.RLock()


class LockTimeout(RuntimeError):
    """Another run of the same day held the lock for longer than the timeout."""


def lock_path(lake: str | os.PathLike[str], day: str) -> Path:
    """``LAKE/_state/locks/<day>.lock``; for a lake on an object store (no flock there)
    a local file named after the lake's URL: runs on one machine take turns, and
    Airflow's ``max_active_runs=1`` keeps runs on different workers apart."""
    where = storage.normalise_location(lake)  # one lock per place, however it is spelt
    if storage.is_remote(where):
        key = hashlib.sha256(where.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "newsflow-locks" / key / f"{day}.lock"
    return Path(where) / "_state" / "locks" / f"{day}.lock"


@contextmanager
def day_lock(lake: str | os.PathLike[str], day: str, timeout: float = 3600.0) -> Iterator[None]:
    """Hold the lock of ``day`` in ``lake``; wait up to ``timeout`` seconds for it."""
    path = lock_path(lake, day)
    key = str(path)
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if not reentered:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeout(
                        f"another run of {day} still holds {path} after {timeout:.0f} s"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        with _guard:
            _held[key] = (fd, 1)
    try:
        yield
    finally:
        with _guard:
            fd, depth = _held[key]
            if depth > 1:
                _held[key] = (fd, depth - 1)
            else:
                del _held[key]
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
