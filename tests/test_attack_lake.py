"""Issue 15, the lake's items: one spelling of a lake (7), no overlapping roots (10), an
Asset event cannot steer news_report (8), crash windows of publish (16), cross-day
duplicate links that survive a rerun of the original's day (5).

Real processes, real Parquet, the real CLI; crashes are real SIGKILLs injected at a
chosen point of the real code.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from newsflow.config import load_settings
from newsflow.lake.lock import LockTimeout, day_lock

DAY = "2024-05-14"
INCLUDE = str(Path(__file__).parents[1] / "include")


def _newsflow(*args: str, cwd: Path | None = None, timeout: float = 600):
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


# -- item 7: the day lock is the same whatever the lake's spelling ---------------------------


def test_one_day_lock_whatever_the_spelling(tmp_path: Path, monkeypatch) -> None:
    lake = tmp_path / "lake"
    elsewhere = tmp_path / "elsewhere"  # the holder runs from another folder
    elsewhere.mkdir()
    code = (
        "import sys,time; sys.path.insert(0, sys.argv[2]);"
        "from newsflow.lake.lock import day_lock\n"
        "with day_lock(sys.argv[1], '2024-05-14'):\n print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, f"file://{lake}", INCLUDE],
        stdout=subprocess.PIPE,
        cwd=elsewhere,
    )
    monkeypatch.chdir(tmp_path)
    spellings = [str(lake), f"{lake}/", f"{lake}/../lake", "lake", "./lake/", f"file://{lake}"]
    try:
        assert holder.stdout.readline().strip() == b"held"
        for spelling in spellings:
            with pytest.raises(LockTimeout), day_lock(spelling, DAY, timeout=0.3):
                pytest.fail(f"{spelling!r} took the lock another process holds")
        settings = load_settings(environ={}, lake=spellings[0], inbox=str(tmp_path / "in"))
        with pytest.raises(LockTimeout), day_lock(settings.lake, DAY, timeout=0.3):
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert (lake / "_state" / "locks" / f"{DAY}.lock").is_file()
    assert not list(elsewhere.iterdir()), "the lock went to a relative ./file:/... folder"
    # Settings carry the one spelling to every consumer
    assert {load_settings(environ={}, lake=s).lake for s in spellings} == {str(lake)}
    remote = {"s3://b/lake", "s3://b/lake/", "S3://b//lake", "s3://b/x/../lake"}
    assert {load_settings(environ={}, lake=s).lake for s in remote} == {"s3://b/lake"}


# -- item 10: the lake and the inbox must not overlap ----------------------------------------


def test_overlapping_roots_are_refused(tmp_path: Path) -> None:
    from newsflow.orchestration import settings_from_params

    inbox = tmp_path / "inbox"
    (inbox / DAY).mkdir(parents=True)
    (inbox / DAY / "a.txt").write_text("word " * 50)
    cases = [
        (inbox, inbox / "lake"),  # the lake inside the inbox
        (inbox, inbox / DAY / "lake"),
        (tmp_path / "lake" / "inbox", tmp_path / "lake"),  # the inbox inside the lake
        (inbox, inbox),
        (inbox, f"file://{inbox}/lake/"),  # another spelling of the same place
    ]
    for box, lake in cases:
        r = _newsflow("run", "--inbox", str(box), "--lake", str(lake), "--day", DAY)
        assert r.returncode == 2, (box, lake, r.stderr)
        assert "overlap" in r.stderr and "Traceback" not in r.stderr, r.stderr
        with pytest.raises(ValueError, match="overlap"):  # a DAG run's Params, the same way
            settings_from_params({"inbox": str(box), "lake": str(lake)})
    assert not (inbox / "lake").exists() and not (inbox / DAY / "lake").exists()
    # siblings with a common prefix are fine
    s = load_settings(environ={}, inbox=str(tmp_path / "data"), lake=str(tmp_path / "data-lake"))
    assert s.lake == str(tmp_path / "data-lake")


# -- item 8: news_report checks its Asset event as a run's Params are checked ----------------


@pytest.fixture(scope="module")
def report_task():
    """news_report's task, as the DAG file defines it."""
    from airflow.dag_processing.dagbag import DagBag
    from conftest import REPO

    return DagBag(dag_folder=str(REPO / "dags")).dags["news_report"].get_task("report")


def _run_report(task, extra: dict) -> list[str]:
    """Run news_report's task as Airflow runs it, on one event carrying ``extra``."""
    from types import SimpleNamespace

    from airflow.sdk.execution_time.context import set_current_context

    asset = task.dag.timetable.asset_condition.objects[0]
    event = SimpleNamespace(extra=extra)
    with set_current_context({"triggering_asset_events": {asset: [event]}}):
        return task.python_callable()


def _published_day(lake: Path, day: str = DAY) -> Path:
    runs = lake / "_runs" / f"dt={day}"
    runs.mkdir(parents=True)
    (runs / "manifest.json").write_text(json.dumps({"day": day}))
    return runs


def test_news_report_refuses_events_outside_the_roots(
    report_task, tmp_path: Path, monkeypatch
) -> None:
    from newsflow.orchestration import report_request

    lake, victim = tmp_path / "lake", tmp_path / "victim"
    monkeypatch.setenv("NEWSFLOW_LAKE", str(lake))
    monkeypatch.setenv("NEWSFLOW_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("NEWSFLOW_PARAM_ROOTS", str(tmp_path / "roots"))
    _published_day(lake)
    _published_day(victim)  # a folder an API user would like to write into
    refused = [
        ({"day": DAY, "lake": str(victim)}, "outside the configured roots"),
        ({"day": DAY, "lake": f"{lake}/../victim"}, "'..'"),
        ({"day": DAY, "lake": "gs://bucket/lake"}, "scheme 'gs'"),
        ({"day": DAY, "lake": ["/x"]}, "must be a string"),
        ({"day": "../../../victim", "lake": str(lake)}, "not a day"),
        ({"day": f"{DAY}/../../x", "lake": str(lake)}, "not a day"),
    ]
    for extra, why in refused:
        with pytest.raises(ValueError, match=why):
            report_request(extra)
        with pytest.raises(ValueError, match=why):
            _run_report(report_task, extra)
    assert not (victim / "_runs" / f"dt={DAY}" / "report.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake", "victim"]
    # the event publish sends (or a day in another ISO spelling) is reported on
    assert report_request({"day": "20240514", "lake": f"file://{lake}/"}) == (str(lake), DAY)
    assert report_request({"note": "no day"}) is None
    (path,) = _run_report(report_task, {"day": DAY, "lake": str(lake)})
    assert path == str(lake / "_runs" / f"dt={DAY}" / "report.txt") and Path(path).is_file()
