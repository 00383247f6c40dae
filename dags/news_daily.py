"""news_daily: ingest -> clean -> dedup -> tag -> publish for one day.

Thin wiring only: every task calls a stage function of the ``newsflow`` package and
passes the partition path on in XCom. Heavy imports happen inside the tasks so the
scheduler parses this file in milliseconds.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, get_current_context, task

ARTICLES = Asset(name="newsflow_articles", uri="newsflow://lake/articles")
ENTITIES = Asset(name="newsflow_entities", uri="newsflow://lake/entities")
STAGES = ["ingest", "clean", "dedup", "tag", "publish"]

TASK_DEFAULTS = {
    "retries": 2,
    # first retry after NEWSFLOW_RETRY_DELAY_SECONDS (default 60), then doubling
    "retry_delay": timedelta(seconds=float(os.environ.get("NEWSFLOW_RETRY_DELAY_SECONDS", "60"))),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(hours=2),
}


def _run_stage(stage: str) -> dict:
    from newsflow import stages
    from newsflow.orchestration import resolve_day, selected, settings_from_params

    ctx = get_current_context()
    params = ctx["params"]
    dag_run = ctx["dag_run"]
    day = resolve_day(params, ctx.get("data_interval_start"), getattr(dag_run, "run_after", None))
    if not selected(params, stage):
        print(f"{stage} {day}: not among params.stages {params.get('stages')}, nothing to do")
        return {"stage": stage, "day": day, "skipped": True}
    result = stages.STAGE_FUNCS[stage](settings_from_params(params), day)
    return result.to_dict()


@dag(
    dag_id="news_daily",
    description="Daily news pipeline: ingest, clean, dedup, tag entities, publish Parquet",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=TASK_DEFAULTS,
    tags=["newsflow"],
    doc_md=__doc__,
    params={
        "day": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Day",
            description="Day to process (YYYY-MM-DD). Empty: the run's data interval (the previous day).",
        ),
        "inbox": Param(
            None,
            type=["null", "string"],
            title="Inbox",
            description="Folder holding INBOX/<day>/. Empty: NEWSFLOW_INBOX.",
        ),
        "lake": Param(
            None,
            type=["null", "string"],
            title="Lake",
            description="Parquet lake folder. Empty: NEWSFLOW_LAKE.",
        ),
        "stages": Param(
            STAGES,
            type="array",
            items={"type": "string", "enum": STAGES},
            title="Stages",
            description="Stages to run; the others are passed over.",
        ),
        "min_words": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            title="Minimum words",
            description="Cleaned texts shorter than this are rejected. Empty: the configured value.",
        ),
        "dedup_horizon_days": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            title="Dedup horizon (days)",
            description="How many earlier days copies are looked for in. Empty: the configured value.",
        ),
    },
)
def news_daily():
    @task(trigger_rule="none_failed")
    def ingest() -> dict:
        return _run_stage("ingest")

    @task(trigger_rule="none_failed")
    def clean(_prev: dict) -> dict:
        return _run_stage("clean")

    @task(trigger_rule="none_failed")
    def dedup(_prev: dict) -> dict:
        return _run_stage("dedup")

    @task(trigger_rule="none_failed")
    def tag(_prev: dict) -> dict:
        return _run_stage("tag")

    @task(trigger_rule="none_failed", outlets=[ARTICLES, ENTITIES])
    def publish(_prev: dict) -> dict:
        return _run_stage("publish")

    publish(tag(dedup(clean(ingest()))))


news_daily()
