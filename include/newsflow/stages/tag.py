"""tag: ``_work/deduped`` -> ``_work/entities``, by shards; duplicates are not tagged again.

A shard is a contiguous slice of the deduped rows; the DAG maps one tag task over each
(``plan_tag`` splits the day), so NER, the costly stage, spreads over every Celery
worker. Each shard writes only its own file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from newsflow.config import Settings
from newsflow.entities.mentions import mention_rows
from newsflow.lake import schema
from newsflow.lake.partition import partition_dir, write_part
from newsflow.stages.common import (
    StageResult,
    batches,
    finish,
    partition_rows,
    plan_shards,
    shard_slice,
    work_dir,
)


def plan_tag(settings: Settings, day: str) -> list[int]:
    """The day's tag shards: at most ``tag_shards``, of at least
    ``tag_shard_min_articles`` rows each (each shard loads the model: ~1 s)."""
    return plan_shards(
        settings,
        day,
        "tag",
        source="deduped",
        outputs=("entities",),
        most=settings.tag_shards,
        per_shard=settings.tag_shard_min_articles,
        round_up=False,
    )


def tag_workers(settings: Settings, day: str) -> int:
    """Worker processes for a whole day's shards in one process: one per core on a day
    of at least ``ner_parallel_min_articles`` (each loads the model), else one."""
    from newsflow.entities.tagger import processes

    deduped = partition_rows(partition_dir(work_dir(settings), "deduped", day))
    return processes(
        settings.ner_processes, deduped, min_articles=settings.ner_parallel_min_articles
    )


def tag(settings: Settings, day: str, shard: int, shards: int) -> StageResult:
    """Tag shard ``shard`` of ``shards``: the entity mentions of its original articles."""
    started = time.perf_counter()
    counts = {"articles_tagged": 0, "mentions": 0, "normalise_errors": 0}
    cols = ["article_id", "text", "language", "is_duplicate"]

    def texts() -> Iterator[tuple[str, str, str | None]]:
        for batch in shard_slice(settings, day, "deduped", shard, shards, columns=cols):
            for r in batch.to_pylist():
                if not r["is_duplicate"]:
                    yield r["article_id"], r["text"], r["language"]

    work = work_dir(settings)
    rows = batches(mention_rows(settings, texts(), counts), schema.ENTITIES, 2_000)
    write_part(work, "entities", day, shard, rows, schema.ENTITIES)
    out = partition_dir(work, "entities", day)
    return finish(StageResult("tag", day, str(out), counts, shard=shard), started, settings)
