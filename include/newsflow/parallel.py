"""Order-preserving parallel map over processes, with bounded memory.

``multiprocessing.Pool.imap`` reads its whole input ahead (its feeder thread does not
wait for results), which for a day of 100k pages means every page in memory at
once. Here at most ``workers * ahead`` chunks are in flight. Inside a daemonic
process (a Celery prefork worker) children are not allowed, so the map runs in
process there, as it does for small inputs where starting workers costs more than
it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def effective_workers(requested: int) -> int:
    """``requested`` processes, 0 meaning one per core; 1 inside daemonic processes."""
    if multiprocessing.current_process().daemon:
        return 1
    return requested if requested > 0 else (os.cpu_count() or 1)


def map_ordered(
    fn: Callable[[T], R], items: Iterable[T], *, workers: int, ahead: int = 3
) -> Iterator[R]:
    """``fn`` over ``items`` in input order, in up to ``workers`` processes.

    ``fn`` and the items must pickle. Workers start with ``forkserver``: forking a
    process that runs threads (Airflow's task runner does) can deadlock.
    """
    if workers <= 1:
        yield from map(fn, items)
        return
    ctx = multiprocessing.get_context("forkserver")
    # the fork server imports the heavy modules once; every worker forks from it ready
    ctx.set_forkserver_preload(["newsflow.stages", "newsflow.clean"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= workers * ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
