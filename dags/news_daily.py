"""news_daily: ingest -> clean -> dedup -> tag -> publish for one day; news_report after it.

clean and tag (the CPU-bound stages) are mapped over shards of the day, so they spread
over every Celery worker.

Thin wiring only: every task calls a stage function of the ``newsflow`` package and
passes the partition path on in XCom. Heavy imports happen inside the tasks so the
scheduler parses this file in milliseconds. ``publish`` updates the ``newsflow_articles``
and ``newsflow_entities`` Assets (the event's extra names the day and lake);
``news_report`` is scheduled on ``newsflow_articles`` and writes the day's report.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, get_current_context, task

# the same pattern as newsflow.orchestration.LOCATION_PATTERN (not imported: parsing stays cheap)
LOCATION_PATTERN = r"^(?!.*(?:^|/)\.\.(?:/|$))(?:(?:file|s3|memory)://.+|[^:]+)$"
# and newsflow.orchestration.SOURCE_PATTERN: "[feed|sitemap|url] http(s)://..."
SOURCE_PATTERN = r"^(?:(?:feed|sitemap|url|FEED|SITEMAP|URL)\s+)?https?://\S+$"
ARTICLES = Asset(name="newsflow_articles", uri="newsflow://lake/articles")
ENTITIES = Asset(name="newsflow_entities", uri="newsflow://lake/entities")
STAGES = ["ingest", "clean", "dedup", "tag", "publish"]
# Remote fetches (feeds, URLs) run in this pool so a backfill cannot hammer the sources;
# create it with `airflow pools set newsflow_fetch 4 "remote fetches"` (compose's init does).
FETCH_POOL = "newsflow_fetch"
# Generous per-task ceilings: a stuck task fails (and retries) instead of holding the day.
TIMEOUTS = {
    "ingest": timedelta(minutes=30),
    "clean": timedelta(hours=1),
    "dedup": timedelta(minutes=30),
    "tag": timedelta(hours=2),
    "publish": timedelta(minutes=30),
}

TASK_DEFAULTS = {
    "retries": 2,
    # first retry after NEWSFLOW_RETRY_DELAY_SECONDS (default 60), then doubling
    "retry_delay": timedelta(seconds=float(os.environ.get("NEWSFLOW_RETRY_DELAY_SECONDS", "60"))),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(hours=2),
}


def _run_stage(stage: str, **kwargs) -> dict:
    from newsflow import stages
    from newsflow.orchestration import resolve_day, selected, settings_from_params

    ctx = get_current_context()
    params = ctx["params"]
    dag_run = ctx["dag_run"]
    day = resolve_day(params, ctx.get("data_interval_start"), getattr(dag_run, "run_after", None))
    if not selected(params, stage):
        print(f"{stage} {day}: not among params.stages {params.get('stages')}, nothing to do")
        return {"stage": stage, "day": day, "skipped": True}
    settings = settings_from_params(params)
    result = stages.STAGE_FUNCS[stage](settings, day, **kwargs)
    if stage == "publish":
        for asset in (ARTICLES, ENTITIES):
            ctx["outlet_events"][asset].extra = {"day": day, "lake": settings.lake}
    return result.to_dict()


def _plan(stage: str) -> list[list[int]]:
    """[shard, shards] for each mapped task of a sharded stage (clean, tag): the day's
    rows in contiguous slices. A stage not among params.stages gets one no-op task."""
    from newsflow import stages
    from newsflow.orchestration import resolve_day, selected, settings_from_params

    ctx = get_current_context()
    params = ctx["params"]
    if not selected(params, stage):
        return [[0, 1]]
    day = resolve_day(
        params, ctx.get("data_interval_start"), getattr(ctx["dag_run"], "run_after", None)
    )
    plan = stages.SHARD_PLANS[stage](settings_from_params(params), day)
    return [[s, len(plan)] for s in plan]


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
            pattern=LOCATION_PATTERN,
            title="Inbox",
            description="Folder holding INBOX/<day>/, inside the configured roots "
            "(NEWSFLOW_INBOX, NEWSFLOW_LAKE, NEWSFLOW_PARAM_ROOTS). Empty: NEWSFLOW_INBOX.",
        ),
        "lake": Param(
            None,
            type=["null", "string"],
            pattern=LOCATION_PATTERN,
            title="Lake",
            description="Parquet lake folder or URL, inside the configured roots. "
            "Empty: NEWSFLOW_LAKE.",
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
        "sources": Param(
            None,
            type=["null", "array"],
            items={"type": "string", "pattern": SOURCE_PATTERN},
            title="Remote sources",
            description="Feeds, news sitemaps and pages to fetch for the day, one per line: "
            "'feed URL', 'sitemap URL' or 'url URL' (a bare URL is a page). Added to "
            "INBOX/<day>/sources.txt. Empty: NEWSFLOW_SOURCES.",
        ),
        "refetch": Param(
            False,
            type="boolean",
            title="Fetch again",
            description="Fetch the remote sources again even if the day's raw WARC exists "
            "(otherwise a rerun replays it: the same responses, no requests).",
        ),
    },
)
def news_daily():
    @task(trigger_rule="none_failed", pool=FETCH_POOL, execution_timeout=TIMEOUTS["ingest"])
    def ingest() -> dict:
        return _run_stage("ingest")

    @task(trigger_rule="none_failed", execution_timeout=timedelta(minutes=5))
    def plan_clean(_prev: dict) -> list[list[int]]:
        return _plan("clean")

    @task(trigger_rule="none_failed", execution_timeout=TIMEOUTS["clean"])
    def clean(shard: list[int]) -> dict:
        return _run_stage("clean", shard=shard[0], shards=shard[1])

    @task(trigger_rule="none_failed", execution_timeout=TIMEOUTS["dedup"])
    def dedup(_prev: dict) -> dict:
        return _run_stage("dedup")

    @task(trigger_rule="none_failed", execution_timeout=timedelta(minutes=5))
    def plan_tag(_prev: dict) -> list[list[int]]:
        return _plan("tag")

    @task(trigger_rule="none_failed", execution_timeout=TIMEOUTS["tag"])
    def tag(shard: list[int]) -> dict:
        return _run_stage("tag", shard=shard[0], shards=shard[1])

    @task(
        trigger_rule="none_failed",
        outlets=[ARTICLES, ENTITIES],
        execution_timeout=TIMEOUTS["publish"],
    )
    def publish(_prev: dict) -> dict:
        return _run_stage("publish")

    cleaned = clean.expand(shard=plan_clean(ingest()))
    publish(tag.expand(shard=plan_tag(dedup(cleaned))))


news_daily()


@dag(
    dag_id="news_report",
    description="The day's quality report, written when news_daily publishes new articles",
    schedule=[ARTICLES],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=TASK_DEFAULTS,
    tags=["newsflow"],
)
def news_report():
    @task(execution_timeout=timedelta(minutes=10))
    def report() -> list[str]:
        from newsflow import report
        from newsflow.orchestration import report_request

        events = get_current_context()["triggering_asset_events"]
        # an event's extra is checked as a run's Params are (API users can post events)
        requests = [report_request(ev.extra) for ev in events.get(ARTICLES, [])]
        folders = [report.write_report(lake, day) for lake, day in filter(None, requests)]
        for folder in folders:
            print((folder / report.TEXT).read_text(encoding="utf-8"), end="")
        return [str(folder) for folder in folders]

    report()


news_report()
