"""stop_groups ends each child's whole process group: children that ignore SIGTERM are
killed after the grace period, and so are the grandchildren a leader leaves behind."""

from __future__ import annotations

import os
import subprocess
import time

from newsflow.procgroups import stop_group, stop_groups


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stop_groups_ends_leaders_and_their_leftovers() -> None:
    polite = subprocess.Popen(["sleep", "60"], start_new_session=True)
    # ignores SIGTERM; its background child outlives it unless the group is killed
    stubborn = subprocess.Popen(
        ["sh", "-c", "trap '' TERM; sleep 60 & wait"], start_new_session=True
    )
    time.sleep(0.3)
    start = time.monotonic()
    stop_groups([polite, stubborn], grace=1.0)
    assert 0.9 < time.monotonic() - start < 10
    assert polite.returncode is not None and stubborn.returncode is not None
    for p in (polite, stubborn):
        deadline = time.monotonic() + 5
        while _alive(p.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(p.pid)


def test_stop_groups_tolerates_processes_already_gone() -> None:
    done = subprocess.Popen(["true"], start_new_session=True)
    done.wait()
    stop_groups([done], grace=0.1)
    assert done.returncode == 0


def test_stop_group_kills_only_a_leader_that_outlives_the_grace() -> None:
    stubborn = subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 60"], start_new_session=True)
    time.sleep(0.3)
    start = time.monotonic()
    stop_group(stubborn, grace=1.0)
    assert 0.9 < time.monotonic() - start < 10 and stubborn.returncode == -9
    polite = subprocess.Popen(["sleep", "60"], start_new_session=True)
    start = time.monotonic()
    stop_group(polite, grace=5.0)
    assert time.monotonic() - start < 2 and polite.returncode == -15
