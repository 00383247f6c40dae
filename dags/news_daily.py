"""news_daily: ingest -> clean -> dedup -> tag -> stories -> publish for one day.

clean and tag (the CPU-bound stages) are mapped over shards of the day, so they spread
over every Celery worker.

Thin wiring only: every task runs a stage of the ``newsflow`` package; stages hand over
through files, so tasks are ordered with ``>>`` and only the shard plans travel in XCom.
The stage names, timeouts and Param patterns come from ``newsflow.registry`` (no
dependencies); heavy imports happen inside the tasks so the scheduler parses this file
in milliseconds. ``publish`` writes the day's tables and its report
(``LAKE/_reports/dt=D/``) and updates the ``newsflow_articles`` and ``newsflow_entities``
Assets (the event's extra names the day and lake) for DAGs of your own to follow.

Errors no retry can fix (a refused Param, a day with no inbox folder and no sources,
settings that cannot work) fail the task at once, with one line saying why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, get_current_context, task
from newsflow.registry import (
    DAG_ID,
    DAY_PATTERN,
    LOCATION_PATTERN,
    PARAM_WORDS,
    PLAN_TIMEOUT_MINUTES,
    SOURCE_PATTERN,
    STAGES,
    TIMEOUT_MINUTES,
)

ARTICLES = Asset(name="newsflow_articles", uri="newsflow://lake/articles")
ENTITIES = Asset(name="newsflow_entities", uri="newsflow://lake/entities")
# Remote fetches (feeds, URLs) can run in a pool of their own so a backfill cannot hammer
# the sources: set NEWSFLOW_FETCH_POOL to a pool you created (compose's init creates
# "newsflow_fetch"). Unset, ingest runs in Airflow's default pool: a task in a pool that
# does not exist would never be scheduled, with no word in the UI.
FETCH_POOL = os.environ.get("NEWSFLOW_FETCH_POOL") or None
# Any past day can be processed (a news archive goes back decades): runs for days before
# start_date would get no task instances and be marked success with nothing done.
START = pendulum.datetime(1900, 1, 1, tz="UTC")


# A mapped task's name in the UI: its day and shard ("2024-05-14 shard 1/2"), set by the task.
SHARD_LABEL = "{{ shard_label | default('') }}"


def _title(param: str) -> str:
    """A Param's form title (the plugin's plain-words refusals name fields the same way)."""
    return PARAM_WORDS[param][0]


def _limit(stage: str) -> timedelta:
    """A task's ceiling: a stuck task fails (and retries) instead of holding the day."""
    return timedelta(minutes=TIMEOUT_MINUTES[stage])


TASK_DEFAULTS = {
    "retries": 2,
    # first retry after NEWSFLOW_RETRY_DELAY_SECONDS (default 60), then doubling
    "retry_delay": timedelta(seconds=float(os.environ.get("NEWSFLOW_RETRY_DELAY_SECONDS", "60"))),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(hours=2),
}


@contextmanager
def _fail_at_once() -> Iterator[None]:
    """An error no retry can fix (a refused Param, a day with nothing to ingest, settings
    that cannot work) fails the task at once with its one line, instead of retrying for
    minutes while the next run waits behind max_active_runs=1."""
    from newsflow.errors import InputError

    try:
        yield
    except InputError as e:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(f"{type(e).__name__}: {e}") from e


def _context() -> tuple[dict, str]:
    """The run's Params and the day it processes (logged first, so every task's log
    says which day its run is for)."""
    from newsflow.orchestration import resolve_day

    ctx = get_current_context()
    params = ctx["params"]
    run_after = getattr(ctx["dag_run"], "run_after", None)
    day = resolve_day(params, ctx.get("logical_date"), ctx.get("data_interval_start"), run_after)
    print(f"news_daily run {ctx['run_id']}: day {day}")
    return params, day


def _run_stage(stage: str, shard: list[int] | None = None) -> dict:
    """One stage (or one shard of a sharded stage) of the run's day; its summary (counts,
    seconds, the partition's path) is the task's XCom, for the UI, not for other tasks."""
    from newsflow import stages
    from newsflow.orchestration import selected, settings_from_params

    with _fail_at_once():
        params, day = _context()
        if not selected(params, stage):
            print(f"{stage} {day}: not among params.stages {params.get('stages')}, nothing to do")
            return {"stage": stage, "day": day, "skipped": True}
        settings = settings_from_params(params)
        if shard is None:
            run_id = get_current_context()["run_id"]  # the manifest records who published
            [result] = stages.run(settings, day, (stage,), run_id=run_id)
        else:
            get_current_context()["shard_label"] = f"{day} shard {shard[0] + 1}/{shard[1]}"  # type: ignore[typeddict-unknown-key]
            result = stages.run_shard(settings, day, stage, shard[0], shard[1])
    if stage == "publish":
        for asset in (ARTICLES, ENTITIES):
            get_current_context()["outlet_events"][asset].extra = {
                "day": day,
                "lake": settings.lake,
            }
    return result.to_dict()


def _plan(stage: str) -> list[list[int]]:
    """[shard, shards] for each mapped task of a sharded stage (clean, tag): the day's
    rows in contiguous slices. A stage not among params.stages gets one no-op task."""
    from newsflow import stages
    from newsflow.orchestration import selected, settings_from_params

    with _fail_at_once():
        params, day = _context()
        if not selected(params, stage):
            return [[0, 1]]
        plan = stages.plan(settings_from_params(params), day, stage)
    return [[s, len(plan)] for s in plan]


@dag(
    dag_id=DAG_ID,
    description="Daily news pipeline: ingest, clean, dedup, tag entities, publish Parquet",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone="UTC"),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=TASK_DEFAULTS,
    tags=["newsflow"],
    doc_md=__doc__,
    params={
        "day": Param(
            None,
            type=["null", "string"],
            pattern=DAY_PATTERN,
            title=_title("day"),
            description="The day to process, typed as year-month-day, e.g. 2024-05-14. Empty: "
            "a scheduled run's day (the day before it runs), else the day it was triggered.",
        ),
        "inbox": Param(
            None,
            type=["null", "string"],
            pattern=LOCATION_PATTERN,
            title=_title("inbox"),
            description="Folder holding one folder per day (INBOX/2024-05-14/...), given as a "
            "path or a file:// or s3:// URL without '..' parts, inside the configured roots "
            "(NEWSFLOW_INBOX, NEWSFLOW_LAKE, NEWSFLOW_PARAM_ROOTS). Empty: NEWSFLOW_INBOX.",
        ),
        "lake": Param(
            None,
            type=["null", "string"],
            pattern=LOCATION_PATTERN,
            title=_title("lake"),
            description="Folder (or file://, s3:// URL) the Parquet tables go to, without '..' "
            "parts, inside the configured roots. Empty: NEWSFLOW_LAKE.",
        ),
        "stages": Param(
            list(STAGES),
            type="array",
            items={"type": "string", "enum": list(STAGES)},
            title=_title("stages"),
            description="Stages to run; the others are passed over.",
        ),
        "min_words": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            title=_title("min_words"),
            description="Cleaned texts shorter than this are rejected. Empty: the configured value.",
        ),
        "dedup_horizon_days": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            title=_title("dedup_horizon_days"),
            description="How many earlier days copies are looked for in. Empty: the configured value.",
        ),
        "sources": Param(
            None,
            type=["null", "array"],
            items={"type": "string", "pattern": SOURCE_PATTERN},
            title=_title("sources"),
            description="Feeds, news sitemaps and pages to fetch for the day, one per line: "
            "'feed URL', 'sitemap URL' or 'url URL' (a bare URL is a page). Added to "
            "INBOX/<day>/sources.txt. Empty: NEWSFLOW_SOURCES.",
        ),
        "refetch": Param(
            False,
            type="boolean",
            title=_title("refetch"),
            description="Fetch the remote sources again even if the day's raw WARC exists "
            "(otherwise a rerun replays it: the same responses, no requests).",
        ),
    },
)
def news_daily():
    # Tasks are ordered with >>, not by passing results: a stage reads the previous
    # stage's files, and the only values handed on are the shard plans.
    plan_timeout = timedelta(minutes=PLAN_TIMEOUT_MINUTES)

    @task(trigger_rule="none_failed", pool=FETCH_POOL, execution_timeout=_limit("ingest"))
    def ingest() -> dict:
        return _run_stage("ingest")

    @task(trigger_rule="none_failed", execution_timeout=plan_timeout)
    def plan_clean() -> list[list[int]]:
        return _plan("clean")

    @task(
        trigger_rule="none_failed",
        execution_timeout=_limit("clean"),
        map_index_template=SHARD_LABEL,
    )
    def clean(shard: list[int]) -> dict:
        return _run_stage("clean", shard)

    @task(trigger_rule="none_failed", execution_timeout=_limit("dedup"))
    def dedup() -> dict:
        return _run_stage("dedup")

    @task(trigger_rule="none_failed", execution_timeout=plan_timeout)
    def plan_tag() -> list[list[int]]:
        return _plan("tag")

    @task(
        trigger_rule="none_failed", execution_timeout=_limit("tag"), map_index_template=SHARD_LABEL
    )
    def tag(shard: list[int]) -> dict:
        return _run_stage("tag", shard)

    @task(trigger_rule="none_failed", execution_timeout=_limit("stories"))
    def stories() -> dict:
        return _run_stage("stories")

    @task(
        trigger_rule="none_failed",
        outlets=[ARTICLES, ENTITIES],
        execution_timeout=_limit("publish"),
    )
    def publish() -> dict:
        return _run_stage("publish")

    clean_plan, tag_plan = plan_clean(), plan_tag()
    ingest() >> clean_plan
    clean.expand(shard=clean_plan) >> dedup() >> tag_plan
    tag.expand(shard=tag_plan) >> stories() >> publish()


news_daily()
