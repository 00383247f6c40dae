"""Ending child processes started with ``start_new_session=True``, each the leader of its
own process group, together with whatever they started (task runners, workers).

Used by ``scripts/airflow_local.py`` (`make airflow`) and the tests' Airflow stacks,
api-servers and browsers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable
from typing import Any


def stop_groups(procs: Iterable[subprocess.Popen[Any]], grace: float) -> None:
    """SIGTERM every process group, then SIGKILL what is left after ``grace`` s."""
    procs = list(procs)
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # the group's leftovers, e.g. task processes
        p.wait()


def stop_group(proc: subprocess.Popen[Any], grace: float) -> None:
    """SIGTERM one process group; SIGKILL it only if its leader outlives ``grace`` s
    (what the leader leaves behind after a clean exit is its own business)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
