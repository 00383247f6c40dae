"""Crash safety and concurrent runs, with real subprocesses of the CLI.

A run is SIGKILLed in the middle of a stage: the lake then holds the previous complete
day (every file matching the manifest's checksums) and the next run completes. Two
runs of one day started together (the next runs, there) take turns on the day's lock
and leave one complete, consistent partition.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from newsflow.lake.lock import LockTimeout, day_lock
from newsflow.lake.partition import finish_publish, publish_atomically, read_partition
from support import SAMPLE, day_matches_manifest

DAY = "2024-05-14"


def _cli(inbox: Path, lake: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "newsflow.cli",
        "run",
        "--inbox",
        str(inbox),
        "--lake",
        str(lake),
        "--day",
        DAY,
    ]


def _consistent(lake: Path) -> dict:
    """The published day matches its manifest byte for byte; returns the manifest."""
    manifest = day_matches_manifest(lake, DAY)
    assert manifest["checks"]["inputs_accounted_for"]
    return manifest


def _kill_when(cmd: list[str], ready, timeout: float = 300) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.monotonic()
    try:
        while not ready():
            assert proc.poll() is None, "the run finished before the kill point"
            assert time.monotonic() - t < timeout
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_sigkill_mid_stage_then_two_concurrent_runs(tmp_path: Path) -> None:
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    (inbox / DAY).mkdir(parents=True)
    for f in sorted((SAMPLE / "inbox" / DAY).glob("*.txt"))[:12]:  # small: startup dominates
        shutil.copy(f, inbox / DAY / f.name)
    subprocess.run(_cli(inbox, lake), check=True, capture_output=True, timeout=600)
    old = _consistent(lake)
    # the next version of the day has more inputs
    extra = inbox / DAY / "late-addition.txt"
    extra.write_text((SAMPLE / "inbox" / DAY / "chile-rate-cut.txt").read_text() + "\nA late line.")
    work_stats = lake / "_work" / "stats" / f"dt={DAY}"
    kill_points = {
        "clean": lambda: (work_stats / "ingest.json").is_file(),  # ingest done: clean or later
        "tag": lambda: (work_stats / "dedup.json").is_file(),  # dedup done: tagging
    }
    for stage, ready in kill_points.items():
        _kill_when(_cli(inbox, lake), ready)
        # a crash inside publish would leave a journal; the next stage finishes it first
        finish_publish(lake, DAY)
        assert _consistent(lake) == old, f"killed during {stage}: the old day must remain"
    # the next run completes; two of them started at once take turns on the day's lock
    procs = [subprocess.Popen(_cli(inbox, lake), stderr=subprocess.PIPE) for _ in range(2)]
    errs = [p.communicate(timeout=600)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    new = _consistent(lake)
    assert new["inputs"] == old["inputs"] + 1
    assert len(pd.read_parquet(lake / "articles")) == new["counts"]["articles"]
    assert not (lake / "_tmp").exists() and not (lake / "_work").exists()


def test_publish_journal_rolls_a_half_done_swap_forward(tmp_path: Path) -> None:
    """The state a crash between two table swaps leaves: the journal finishes it."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from newsflow.lake.partition import write_partition

    schema = pa.schema([("v", pa.int64())])
    for t in ("a", "b"):
        write_partition(tmp_path, t, DAY, [pa.table({"v": [1]}, schema=schema)], schema)
    tmps = [
        write_partition(
            tmp_path, t, DAY, [pa.table({"v": [2, 2]}, schema=schema)], schema, swap=False
        )
        for t in ("a", "b")
    ]
    finals = [tmp_path / t / f"dt={DAY}" for t in ("a", "b")]
    journal = tmp_path / "_tmp" / f"publish.dt={DAY}.json"
    journal.write_text(json.dumps([[str(x), str(y)] for x, y in zip(tmps, finals, strict=True)]))
    shutil.rmtree(finals[0])
    tmps[0].rename(finals[0])  # "a" was swapped in, then the process died
    assert pq.read_table(finals[1]).num_rows == 1  # mixed state on disk before recovery
    finish_publish(tmp_path, DAY)
    assert [read_partition(tmp_path, t, DAY).num_rows for t in ("a", "b")] == [2, 2]
    assert not journal.exists()
    publish_atomically(tmp_path, DAY, [])  # an empty publish is a no-op
    assert not (tmp_path / "_tmp").exists()


def test_the_day_lock_excludes_another_process(tmp_path: Path) -> None:
    code = (
        "import sys,time; sys.path.insert(0, sys.argv[2]);"
        "from newsflow.lake.lock import day_lock\n"
        "with day_lock(sys.argv[1], '2024-05-14'):\n print('held', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path), str(Path(__file__).parents[1] / "include")],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"held"
        t = time.monotonic()
        with pytest.raises(LockTimeout, match="another run"), day_lock(tmp_path, DAY, timeout=0.5):
            pass
        assert time.monotonic() - t >= 0.5
        with day_lock(tmp_path, "2024-05-15", timeout=0.5):  # other days are free
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # the kernel frees a dead holder's lock
        holder.wait()
    with day_lock(tmp_path, DAY, timeout=5), day_lock(tmp_path, DAY, timeout=0):  # re-entrant
        pass
