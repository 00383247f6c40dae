"""news_daily on a real Airflow deployment, driven over the REST API like a user would.

The production topology without containers: ``airflow db migrate`` on a fresh Postgres
database, then api-server, scheduler, dag-processor and two Celery workers (Redis broker) as
separate processes; and once more with the LocalExecutor on SQLite, the set-up of a
developer without services. Every process is stopped at the end (checked).

The figures (time to first success, tasks, retries) are printed in the test summary.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from newsflow.lake.partition import read_partition
from support import AP_FARM, FIGURES, KYODO, SEEDS, lake_files
from support.airflow_stack import AirflowStack, reachable
from support.s3server import s3_server

# a real Airflow, on the seed texts of ../shared
pytestmark = [pytest.mark.e2e, pytest.mark.shared]

SEED_DAY = "2023-11-27"
BACKFILL_DAYS = ["2023-11-28", "2023-11-29", "2023-11-30"]


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


def _seed_inbox(inbox: Path, day: str, names: tuple[str, ...] = (KYODO, AP_FARM)) -> None:
    (inbox / day).mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copy(SEEDS / n, inbox / day / n)


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


def _check_seed_day(lake: Path) -> None:
    a = pd.read_parquet(lake / "articles" / f"dt={SEED_DAY}")
    assert sorted(a.source_uri) == sorted([KYODO, AP_FARM])
    assert a.story_id.nunique() == 1 and a.dedup_cluster_id.nunique() == 2
    e = pd.read_parquet(lake / "entities" / f"dt={SEED_DAY}")
    assert {"Fumio Kishida", "Japan", "Vietnam"} <= set(e.entity_key)


def _common_flow(stack: AirflowStack, data: Path, figures: dict) -> None:
    """Trigger-time validation, unpause, trigger, check the Parquet, trigger again."""
    inbox, lake = data / "inbox", data / "lake"
    _seed_inbox(inbox, SEED_DAY)

    # Params are validated at trigger time: a clear 400, no run created
    bad = {
        "day": ({"day": "27/11/2023"}, "is not a 'date'"),
        "dotdot": ({"day": SEED_DAY, "inbox": f"{inbox}/../../etc"}, "does not match"),
        "scheme": ({"day": SEED_DAY, "lake": "http://example.org/lake"}, "does not match"),
    }
    for conf, message in bad.values():
        r = stack.trigger("news_daily", conf)
        assert r.status_code == 400 and message in r.text, r.text
    assert stack.get("/dags/news_daily/dagRuns")["total_entries"] == 0

    for dag_id in ("news_daily", "news_report"):  # both are created paused
        stack.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
    conf = {"day": SEED_DAY, "inbox": str(inbox), "lake": str(lake)}
    run, tis = _run_ok(stack, conf)
    figures["time_to_first_success_s"] = round(time.monotonic() - stack.started_at, 1)
    # two seed texts, one a shard: clean and tag are each mapped over two shards
    assert sorted((t["task_id"], t["map_index"]) for t in tis) == [
        ("clean", 0),
        ("clean", 1),
        ("dedup", -1),
        ("ingest", -1),
        ("plan_clean", -1),
        ("plan_tag", -1),
        ("publish", -1),
        ("tag", 0),
        ("tag", 1),
    ]
    assert all(t["state"] == "success" and t["try_number"] == 1 for t in tis)
    assert next(t for t in tis if t["task_id"] == "ingest")["pool"] == "newsflow_fetch"
    figures["tasks_per_run"] = len(tis)
    if stack.executor == "CeleryExecutor":  # the mapped shards spread over both workers
        from support.airflow_stack import WORKERS

        assert {t["hostname"] for t in tis} == set(WORKERS), [
            (t["task_id"], t["hostname"]) for t in tis
        ]
    _check_seed_day(lake)

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
        stack = _deployment(tmp_path, "CeleryExecutor", NEWSFLOW_PARAM_ROOTS=roots, **aws)
        _celery_flow(stack, data, figures)
    assert stack.leftovers() == []


def _celery_flow(stack: AirflowStack, data: Path, figures: dict) -> None:
    with stack:
        stack.start(pools={"newsflow_fetch": 4})
        figures["stack_ready_s"] = round(time.monotonic() - stack.started_at, 1)
        _common_flow(stack, data, figures)

        # the same day with the lake on the object store: mapped tasks on the Celery
        # worker hand over through S3, and the published rows equal the local lake's
        started = time.monotonic()
        s3_lake = "s3://news/lake"
        _run_ok(stack, {"day": SEED_DAY, "inbox": str(data / "inbox"), "lake": s3_lake})
        figures["s3_lake_run_s"] = round(time.monotonic() - started, 1)
        for table in ("articles", "entities", "duplicates", "rejects"):
            local = read_partition(data / "lake", table, SEED_DAY)
            assert read_partition(s3_lake, table, SEED_DAY).equals(local), table

        # a run pointed outside the configured roots fails clearly, after its retries,
        # and leaves nothing behind
        r = stack.trigger("news_daily", {"day": SEED_DAY, "inbox": "/etc", "lake": str(data / "x")})
        run = stack.wait_run("news_daily", r.json()["dag_run_id"])
        assert run["state"] == "failed"
        ingest = next(
            t
            for t in stack.task_instances("news_daily", run["dag_run_id"])
            if t["task_id"] == "ingest"
        )
        assert ingest["state"] == "failed" and ingest["try_number"] == 3
        figures["retries_of_refused_run"] = ingest["try_number"] - 1
        log = stack.request(
            "GET",
            f"/dags/news_daily/dagRuns/{run['dag_run_id']}/taskInstances/ingest/logs/3",
        ).text
        assert "outside the configured roots" in log, log[-2000:]
        assert not (data / "x").exists()

        # the Asset published by news_daily scheduled news_report, which wrote the report
        # (publish writes the same folder, so the run itself is what shows news_report ran)
        deadline = time.monotonic() + 120
        while not (reports := stack.get("/dags/news_report/dagRuns")["dag_runs"]):
            assert time.monotonic() < deadline, "news_report did not run"
            time.sleep(1)
        assert all(r["run_type"] == "asset_triggered" for r in reports)
        assert stack.wait_run("news_report", reports[0]["dag_run_id"])["state"] == "success"
        assert (data / "lake" / "_reports" / f"dt={SEED_DAY}" / "report.txt").is_file()

        # backfill three days through the REST API (what `airflow backfill create` does)
        inbox, lake = data / "inbox", data / "lake"
        _seed_inbox(inbox, BACKFILL_DAYS[0], (KYODO,))
        _seed_inbox(inbox, BACKFILL_DAYS[1], (AP_FARM,))
        _seed_inbox(inbox, BACKFILL_DAYS[2], (KYODO, AP_FARM))
        started = time.monotonic()
        r = stack.request(
            "POST",
            "/backfills",
            json={
                "dag_id": "news_daily",
                "from_date": f"{BACKFILL_DAYS[0]}T00:00:00Z",
                "to_date": f"{BACKFILL_DAYS[-1]}T23:00:00Z",
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
            if done and len(runs) == 3 and all(x["state"] in ("success", "failed") for x in runs):
                break
            assert time.monotonic() < deadline, runs
            time.sleep(2)
        assert all(x["state"] == "success" for x in runs), runs
        figures["backfill_3_days_s"] = round(time.monotonic() - started, 1)
        days = sorted(x["data_interval_start"][:10] for x in runs)
        assert days == BACKFILL_DAYS
        for day, n in zip(BACKFILL_DAYS, (1, 1, 2), strict=True):
            a = pd.read_parquet(lake / "articles" / f"dt={day}")
            assert len(a) == n


@pytest.mark.timeout(400)
def test_local_executor_sqlite_over_rest(tmp_path: Path) -> None:
    figures = FIGURES.setdefault("LocalExecutor + SQLite", {})
    stack = _deployment(tmp_path, "LocalExecutor")
    with stack:
        stack.start(pools={"newsflow_fetch": 4})
        figures["stack_ready_s"] = round(time.monotonic() - stack.started_at, 1)
        _common_flow(stack, tmp_path / "data", figures)
    assert stack.leftovers() == []
