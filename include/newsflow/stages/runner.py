"""Running stages: the one place that takes a day's lock, and the whole-day path of the
sharded stages (their shards in worker processes, exactly as the DAG's mapped tasks run
them, so the CLI and Airflow give the same rows)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from newsflow.config import Settings
from newsflow.registry import STAGES
from newsflow.stages.clean import clean, clean_workers, plan_clean
from newsflow.stages.common import StageResult
from newsflow.stages.dedup import dedup
from newsflow.stages.ingest import ingest
from newsflow.stages.publish import publish
from newsflow.stages.stories import stories
from newsflow.stages.tag import plan_tag, tag, tag_workers

DayStage = Callable[[Settings, str], StageResult]
ShardStage = Callable[[Settings, str, int, int], StageResult]
Planner = Callable[[Settings, str], list[int]]

# The stages that run once per day ...
DAY_STAGES: dict[str, DayStage] = {
    "ingest": ingest,
    "dedup": dedup,
    "stories": stories,
    "publish": publish,
}
# ... and those that run once per shard: (planner, one shard, workers for a whole day)
SHARD_STAGES: dict[str, tuple[Planner, ShardStage, Callable[[Settings, str], int]]] = {
    "clean": (plan_clean, clean, clean_workers),
    "tag": (plan_tag, tag, tag_workers),
}

# Called as a run goes: (stage, None) when a stage starts, (stage, result) when it ends.
Progress = Callable[[str, StageResult | None], None]


@contextmanager
def holding_day(settings: Settings, day: str) -> Iterator[None]:
    """The day's lock (the one place it is taken), after finishing any publish a crash
    interrupted: another run of the same day waits for it. Re-entrant in one process."""
    from newsflow.lake.lock import day_lock
    from newsflow.lake.partition import finish_publish

    with day_lock(settings.lake, day, settings.lock_timeout_seconds):
        finish_publish(settings.lake, day)
        yield


def run(
    settings: Settings,
    day: str,
    stages: tuple[str, ...] | list[str] = STAGES,
    *,
    progress: Progress | None = None,
    run_id: str | None = None,
) -> list[StageResult]:
    """Run ``stages`` of ``day`` in their order, in this process, under the day's lock.

    A sharded stage runs all its shards here, in worker processes; the DAG instead runs
    ``plan`` and then ``run_shard`` for each shard as a mapped task. ``run_id`` is the
    news_daily run doing the work (None from the CLI): publish records it in the day's
    manifest, so the UI links the day to the run that published it."""
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stages {sorted(unknown)}; choose from {STAGES}")
    day_stages: dict[str, DayStage] = {
        **DAY_STAGES,
        "publish": functools.partial(publish, run_id=run_id),
    }
    results = []
    with holding_day(settings, day):
        for name in (s for s in STAGES if s in stages):
            if progress:
                progress(name, None)
            if name in SHARD_STAGES:
                result = _whole_day(settings, day, name)
            else:
                result = day_stages[name](settings, day)
            results.append(result)
            if progress:
                progress(name, result)
    return results


def plan(settings: Settings, day: str, stage: str) -> list[int]:
    """The shards of a sharded stage for ``day``, planned under the day's lock (the
    planner also clears what an earlier run of the stage left)."""
    planner = SHARD_STAGES[stage][0]
    with holding_day(settings, day):
        return planner(settings, day)


def run_shard(settings: Settings, day: str, stage: str, shard: int, shards: int) -> StageResult:
    """One shard of a sharded stage. It takes no lock: a day's shards run at the same
    time, each writing only its own file (``plan`` cleared the folder under the lock)."""
    return SHARD_STAGES[stage][1](settings, day, shard, shards)


def _shard_job(job: tuple[Settings, str, str, int, int]) -> StageResult:
    """One shard in a worker process of ``_whole_day`` (a module-level function: picklable)."""
    return run_shard(*job)


def _whole_day(settings: Settings, day: str, stage: str) -> StageResult:
    """All shards of a sharded stage in up to its number of worker processes; the
    caller holds the day's lock. The result sums the shards' counts."""
    from newsflow.parallel import map_ordered

    planner, _, workers = SHARD_STAGES[stage]
    started = time.perf_counter()
    shards = planner(settings, day)
    jobs = [(settings, day, stage, s, len(shards)) for s in shards]
    n = min(len(shards), workers(settings, day))
    parts = list(map_ordered(_shard_job, jobs, workers=n))
    counts = {k: sum(p.counts[k] for p in parts) for k in parts[0].counts}
    seconds = round(time.perf_counter() - started, 3)
    return StageResult(stage, day, parts[0].path, counts, seconds)
