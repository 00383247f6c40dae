"""news_daily on a real Airflow deployment, driven over the REST API like a user would.

The production topology without containers: ``airflow db migrate`` on a fresh Postgres
database, then api-server, scheduler, dag-processor and two Celery workers (Redis broker) as
separate processes; and once more with the LocalExecutor on SQLite, the set-up of a
developer without services. Every process is stopped at the end (checked).

Everything runs on the repository's own sample pair (``support.PAIR``: an AP text on a
content farm and another paper's report of the same summit), so a clone without
``../shared`` starts a real Airflow too. The figures (time to first success, tasks,
retries) are printed in the test summary.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from newsflow.lake.partition import read_partition
from support import (
    FARM,
    FIGURES,
    PAIR,
    PAIR_NAMES,
    PUBLISHED_TABLES,
    SAMPLE_DAY,
    SAMPLE_INBOX,
    day_matches_manifest,
    farm_copy_is_clean,
    lake_files,
    one_story_two_texts,
)
from support.airflow_stack import AirflowStack, reachable
from support.s3server import s3_server

pytestmark = pytest.mark.e2e

DAY = SAMPLE_DAY
HTML = next(n for n in PAIR if n != FARM)  # the other paper's page
# the days after, backfilled on copies of the pair: each text alone, then both again
BACKFILL = {"2024-05-15": (HTML,), "2024-05-16": (FARM,), "2024-05-17": PAIR}


def _deployment(tmp: Path, executor: str, **env: str) -> AirflowStack:
    """A stack whose default inbox holds empty folders for the days the scheduler will
    run on its own once the DAG is unpaused (the latest data interval)."""
    default_inbox = tmp / "default-inbox"
    today = datetime.now(UTC).date()
    for back in range(3):
        (default_inbox / (today - timedelta(days=back)).isoformat()).mkdir(parents=True)
    return AirflowStack(
        tmp / "airflow",
        executor=executor,
        env_extra={
            "NEWSFLOW_INBOX": str(default_inbox),
            "NEWSFLOW_LAKE": str(tmp / "default-lake"),
            "NEWSFLOW_PARAM_ROOTS": str(tmp / "data"),
            "NEWSFLOW_RETRY_DELAY_SECONDS": "1",
            "NEWSFLOW_SHARD_MIN_DOCS": "1",
            "NEWSFLOW_TAG_SHARD_MIN_ARTICLES": "1",
            **env,
        },
    )


def _pair_inbox(inbox: Path, day: str, names: tuple[str, ...] = PAIR) -> None:
    (inbox / day).mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copy(SAMPLE_INBOX / n, inbox / day / n)


def _run_ok(stack: AirflowStack, conf: dict) -> tuple[dict, list[dict]]:
    r = stack.trigger("news_daily", conf)
    assert r.status_code == 200, r.text
    run = stack.wait_run("news_daily", r.json()["dag_run_id"])
    tis = stack.task_instances("news_daily", run["dag_run_id"])
    assert run["state"] == "success", [(t["task_id"], t["state"]) for t in tis]
    return run, tis


def _data_files(lake: Path) -> list[str]:
    """The lake's files but the report folders (and their scratch in ``_tmp``), which the
    downstream news_report DAG rewrites at its own pace after each publish."""
    return [f for f in lake_files(lake) if not f.startswith(("_reports/", "_tmp/_reports."))]


def _manifest_counts(lake: Path, day: str) -> dict:
    """The day's manifest, after checking it lists exactly the day's files (each with its
    checksum), accounts for every input and counts each table's rows."""
    manifest = day_matches_manifest(lake, day)
    assert manifest["checks"]["inputs_accounted_for"] is True
    rows = {t: read_partition(lake, t, day).num_rows for t in PUBLISHED_TABLES}
    assert manifest["counts"] == rows, (manifest["counts"], rows)
    return manifest


def _check_pair_day(lake: Path) -> dict:
    """The pair's day as published: two articles, the farm's chrome gone, one story, two
    texts, the names of the summit on each, nothing rejected or a copy; returns the
    manifest."""
    a = pd.read_parquet(lake / "articles" / f"dt={DAY}").set_index("source_uri")
    assert sorted(a.index) == sorted(PAIR)
    farm_copy_is_clean(a.loc[FARM])
    one_story_two_texts(a, lake, DAY, PAIR_NAMES)
    manifest = _manifest_counts(lake, DAY)
    assert manifest["inputs"] == len(PAIR)
    assert manifest["counts"]["articles"] == len(PAIR)
    assert manifest["counts"]["rejects"] == manifest["counts"]["duplicates"] == 0
    return manifest


def _check_tasks(stack: AirflowStack, tis: list[dict], manifest: dict) -> None:
    """The run's task instances are the DAG's tasks as the REST API lists them: one each,
    and a mapped task once per shard its stage ran (the manifest's count)."""
    tasks = stack.get("/dags/news_daily/tasks")["tasks"]
    mapped = {t["task_id"] for t in tasks if t["is_mapped"]}
    assert {"clean", "tag"} <= mapped
    expected = sorted(
        (t["task_id"], i)
        for t in tasks
        for i in (range(manifest["stages"][t["task_id"]]["shards"]) if t["is_mapped"] else [-1])
    )
    assert sorted((t["task_id"], t["map_index"]) for t in tis) == expected
    # two texts, one a shard (NEWSFLOW_SHARD_MIN_DOCS, ..._TAG_SHARD_MIN_ARTICLES = 1)
    assert [manifest["stages"][s]["shards"] for s in ("clean", "tag")] == [len(PAIR)] * 2


def _common_flow(stack: AirflowStack, data: Path, figures: dict, pool: str) -> None:
    """Trigger-time validation, unpause, trigger, check the Parquet, trigger again;
    ``pool`` is where ingest must have run."""
    inbox, lake = data / "inbox", data / "lake"
    _pair_inbox(inbox, DAY)

    # Params are validated at trigger time: a 400 in plain words (the plugin's wording of
    # Airflow's refusal, which quotes the JSON schema), no run created
    bad = {
        "day": ({"day": "14/05/2024"}, "Day (YYYY-MM-DD): '14/05/2024' is refused; it must be"),
        "dotdot": ({"day": DAY, "inbox": f"{inbox}/../../etc"}, "with no '..' parts"),
        "scheme": ({"day": DAY, "lake": "http://example.org/lake"}, "Lake: 'http://example"),
    }
    for conf, message in bad.values():
        r = stack.trigger("news_daily", conf)
        assert r.status_code == 400 and message in r.json()["detail"], r.text
        assert "does not match" not in r.text and "schema" not in r.text, r.text
    assert stack.get("/dags/news_daily/dagRuns")["total_entries"] == 0

    # created paused; unpausing schedules the latest interval's run (yesterday) at once
    stack.request("PATCH", "/dags/news_daily", json={"is_paused": False}).raise_for_status()
    conf = {"day": DAY, "inbox": str(inbox), "lake": str(lake)}
    run, tis = _run_ok(stack, conf)
    figures["time_to_first_success_s"] = round(time.monotonic() - stack.started_at, 1)
    assert run["note"] == f"Day {DAY}", run  # the run says which day it processed
    _check_tasks(stack, tis, _check_pair_day(lake))
    assert all(t["state"] == "success" and t["try_number"] == 1 for t in tis)
    assert next(t for t in tis if t["task_id"] == "ingest")["pool"] == pool
    figures["tasks_per_run"] = len(tis)
    if stack.executor == "CeleryExecutor":  # the mapped shards spread over both workers
        from support.airflow_stack import WORKERS

        assert {t["hostname"] for t in tis} == set(WORKERS), [
            (t["task_id"], t["hostname"]) for t in tis
        ]

    # the same day again: same files, same rows
    files = _data_files(lake)
    before = {t: pd.read_parquet(lake / t) for t in ("articles", "entities", "rejects")}
    started = time.monotonic()
    _run_ok(stack, conf)
    figures["rerun_s"] = round(time.monotonic() - started, 1)
    assert _data_files(lake) == files
    for t, df in before.items():
        pd.testing.assert_frame_equal(pd.read_parquet(lake / t), df)


@pytest.fixture
def services() -> None:
    if not (reachable("127.0.0.1", 5432) and reachable("127.0.0.1", 6379)):
        pytest.fail(
            "Postgres (127.0.0.1:5432) and Redis (127.0.0.1:6379) must run: .ci/run starts them"
        )


@pytest.mark.timeout(600)
def test_celery_postgres_stack_over_rest(services, tmp_path: Path) -> None:
    figures = FIGURES.setdefault("CeleryExecutor + Postgres + Redis", {})
    data = tmp_path / "data"
    with s3_server("news") as aws:
        # the lake may also live on S3 (a real S3 endpoint on 127.0.0.1 stands in for it)
        roots = f"{data},s3://news/lake"
        stack = _deployment(
            tmp_path,
            "CeleryExecutor",
            NEWSFLOW_PARAM_ROOTS=roots,
            NEWSFLOW_FETCH_POOL="newsflow_fetch",
            **aws,
        )
        _celery_flow(stack, data, figures)
    assert stack.leftovers() == []


def _celery_flow(stack: AirflowStack, data: Path, figures: dict) -> None:
    with stack:
        stack.start(pools={"newsflow_fetch": 4})  # as compose's init creates it
        figures["stack_ready_s"] = round(time.monotonic() - stack.started_at, 1)
        _common_flow(stack, data, figures, pool="newsflow_fetch")

        # the same day with the lake on the object store: mapped tasks on the Celery
        # worker hand over through S3, and the published rows equal the local lake's
        started = time.monotonic()
        s3_lake = "s3://news/lake"
        _run_ok(stack, {"day": DAY, "inbox": str(data / "inbox"), "lake": s3_lake})
        figures["s3_lake_run_s"] = round(time.monotonic() - started, 1)
        for table in ("articles", "entities", "duplicates", "rejects"):
            local = read_partition(data / "lake", table, DAY)
            assert read_partition(s3_lake, table, DAY).equals(local), table

        # a run pointed outside the configured roots fails clearly and at once (no retry
        # can fix it), and leaves nothing behind
        r = stack.trigger("news_daily", {"day": DAY, "inbox": "/etc", "lake": str(data / "x")})
        run = stack.wait_run("news_daily", r.json()["dag_run_id"])
        assert run["state"] == "failed"
        ingest = next(
            t
            for t in stack.task_instances("news_daily", run["dag_run_id"])
            if t["task_id"] == "ingest"
        )
        assert ingest["state"] == "failed" and ingest["try_number"] == 1
        figures["tries_of_refused_run"] = ingest["try_number"]
        log = stack.request(
            "GET",
            f"/dags/news_daily/dagRuns/{run['dag_run_id']}/taskInstances/ingest/logs/1",
        ).text
        assert "outside the configured roots" in log, log[-2000:]
        assert not (data / "x").exists()

        # the run that published the day wrote its report
        for name in ("report.txt", "report.html"):
            assert (data / "lake" / "_reports" / f"dt={DAY}" / name).is_file()

        # backfill three days through the REST API (what `airflow backfill create` does)
        inbox, lake = data / "inbox", data / "lake"
        for day, names in BACKFILL.items():
            _pair_inbox(inbox, day, names)
        first, *_, last = BACKFILL
        started = time.monotonic()
        r = stack.request(
            "POST",
            "/backfills",
            json={
                "dag_id": "news_daily",
                "from_date": f"{first}T00:00:00Z",
                "to_date": f"{last}T23:00:00Z",
                "dag_run_conf": {"inbox": str(inbox), "lake": str(lake)},
                "max_active_runs": 1,
            },
        )
        assert r.status_code == 200, r.text
        backfill_id = r.json()["id"]
        deadline = time.monotonic() + 400
        while True:
            runs = [
                x
                for x in stack.get("/dags/news_daily/dagRuns", params={"run_type": "backfill"})[
                    "dag_runs"
                ]
            ]
            done = stack.get(f"/backfills/{backfill_id}")["completed_at"]  # set by the scheduler
            if (
                done
                and len(runs) == len(BACKFILL)
                and all(x["state"] in ("success", "failed") for x in runs)
            ):
                break
            assert time.monotonic() < deadline, runs
            time.sleep(2)
        assert all(x["state"] == "success" for x in runs), runs
        figures["backfill_3_days_s"] = round(time.monotonic() - started, 1)
        days = sorted(x["data_interval_start"][:10] for x in runs)
        assert days == list(BACKFILL)
        _check_backfilled_days(lake)


def _check_backfilled_days(lake: Path) -> None:
    """Each backfilled day holds its copies of the pair, every one an exact copy of the
    same text published on the pair's day (found in the cross-day index), in its story."""
    first = pd.read_parquet(lake / "articles" / f"dt={DAY}").set_index("source_uri")
    for day, names in BACKFILL.items():
        a = pd.read_parquet(lake / "articles" / f"dt={day}").set_index("source_uri")
        assert sorted(a.index) == sorted(names), day
        assert a.is_duplicate.all(), day
        assert (a.duplicate_of == first.article_id.loc[a.index]).all(), day
        assert (a.story_id == first.story_id.iloc[0]).all(), day
        d = pd.read_parquet(lake / "duplicates" / f"dt={day}")
        assert set(d.method) == {"exact"} and set(d.duplicate_of_dt.astype(str)) == {DAY}, day
        assert _manifest_counts(lake, day)["counts"]["duplicates"] == len(names), day


@pytest.mark.timeout(400)
def test_local_executor_sqlite_over_rest(tmp_path: Path) -> None:
    figures = FIGURES.setdefault("LocalExecutor + SQLite", {})
    stack = _deployment(tmp_path, "LocalExecutor")
    data = tmp_path / "data"
    with stack:
        stack.start()  # a stock Airflow: no pool, no variable created by hand
        figures["stack_ready_s"] = round(time.monotonic() - stack.started_at, 1)
        _common_flow(stack, data, figures, pool="default_pool")

        # a day decades back, by the run's logical date alone (no Day Param): it is
        # processed, not a green run without task instances
        old = "1998-03-09"
        _pair_inbox(data / "inbox", old, PAIR)
        conf = {"inbox": str(data / "inbox"), "lake": str(data / "lake")}
        r = stack.trigger("news_daily", conf, logical_date=f"{old}T00:00:00Z")
        r.raise_for_status()
        run = stack.wait_run("news_daily", r.json()["dag_run_id"])
        assert run["state"] == "success", run
        assert run["note"] == f"Day {old}", run
        tis = stack.task_instances("news_daily", run["dag_run_id"])
        assert {t["task_id"] for t in tis} >= {"ingest", "stories", "publish"}
        assert all(t["state"] == "success" for t in tis)
        assert len(pd.read_parquet(data / "lake" / "articles" / f"dt={old}")) == len(PAIR)
    assert stack.leftovers() == []
