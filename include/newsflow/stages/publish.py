"""publish: the day's work files -> the public tables, the cross-day indexes' parts (dedup
and stories) and the manifest, swapped in together atomically; then the work files are removed.

Memory is bounded by DuckDB's ``publish_memory_mb``: the tables stream from the work
files to the lake.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from newsflow.config import Settings
from newsflow.dedup.index import publish_index
from newsflow.lake import schema, storage, views
from newsflow.lake.partition import (
    iter_partition,
    partition_dir,
    partition_files,
    publish_atomically,
    write_partition,
)
from newsflow.registry import WORK_TABLES
from newsflow.stages.common import StageResult, finish, partition_rows, work_dir
from newsflow.story_index import publish_story_index

log = logging.getLogger("newsflow")


def publish(settings: Settings, day: str, *, run_id: str | None = None) -> StageResult:
    """The public tables and the manifest of ``day``, all live at once or not at all.

    ``run_id`` is the news_daily run publishing (None from the CLI); the manifest records
    it. A repeated publish that finds the day done keeps the manifest, and its run, as
    they are."""
    from newsflow.lake.manifest import write_manifest
    from newsflow.repair import repair_later_days

    started = time.perf_counter()
    work, lake = work_dir(settings), settings.lake
    done = _already_published(settings, day)
    if done is not None:
        return done
    files = {
        t: [storage.uri(f) for f in partition_files(work, t, day)]
        for t in ("deduped", "entities", "stories", "story_index")
    }
    rg = settings.row_group_size

    def query(sql: str) -> Iterator[pa.RecordBatch]:
        return storage.query_batches(
            lake,
            sql,
            {k: v for k, v in files.items() if f"${k}" in sql},  # DuckDB wants exactly these
            batch_size=rg,
            memory_mb=settings.publish_memory_mb,
        )

    rejects = itertools.chain.from_iterable(
        _byte_batches(work, t, day, settings.reject_batch_bytes, rg)
        for t in ("rejects_ingest", "rejects_clean")
    )
    out = {
        "articles": (query(views.articles_sql(schema.ARTICLES.names)), schema.ARTICLES),
        "entities": (query(views.ENTITIES_SQL), schema.ENTITIES),
        "duplicates": (iter_partition(work, "duplicates", day, batch_size=rg), schema.DUPLICATES),
        "rejects": (rejects, schema.REJECTS),
        "entity_counts": (query(views.ENTITY_COUNTS_SQL), schema.ENTITY_COUNTS),
        "stories": (query(views.stories_sql(schema.STORY_SUMMARY.names)), schema.STORY_SUMMARY),
    }
    written = {
        table: write_partition(lake, table, day, batches, sch, row_group_size=rg, swap=False)
        for table, (batches, sch) in out.items()
    }
    index_swaps = publish_index(settings, work, day) + publish_story_index(settings, work, day)
    tables = ("articles", "duplicates", "entities", "rejects")
    counts = {t: partition_rows(written[t]) for t in tables}
    counts["stories"] = _distinct_stories(written["articles"])
    result = StageResult("publish", day, str(partition_dir(lake, "articles", day)), counts)
    finish(result, started, settings)
    # every table and the manifest go live together (a crash mid-way is rolled forward)
    manifest_tmp = storage.lake_path(lake) / "_tmp" / f"manifest.dt={day}.{os.getpid()}.json"
    manifest = write_manifest(
        settings,
        day,
        written,
        stats_dir=partition_dir(work, "stats", day),
        out_file=manifest_tmp,
        run_id=run_id,
    )
    swaps = [(tmp, partition_dir(lake, t, day)) for t, tmp in written.items()]
    swaps.extend(index_swaps)
    swaps.append((manifest_tmp, partition_dir(lake, "_runs", day) / "manifest.json"))
    # later days' copies of articles this day no longer has are promoted or relinked
    # (the one deliberate edit of other days' partitions), before the day goes live
    repair_later_days(settings, day, written["articles"])
    # the work files go in the same journal: a kill while removing them is rolled forward
    publish_atomically(lake, day, swaps, drop=[partition_dir(work, t, day) for t in WORK_TABLES])
    _prune_raw_rejects(settings, day)
    _write_report(settings, day)
    if not manifest["checks"]["inputs_accounted_for"]:
        raise RuntimeError(f"{day}: inputs != articles + rejects; see {manifest['path']}")
    return result


def _distinct_stories(articles: Path) -> int:
    """Stories among the published articles (from the one column, not the texts)."""
    ids: set[str] = set()
    for f in sorted(articles.glob("*.parquet")):
        table = storage.parquet_file(f).read(columns=["story_id"])
        ids.update(table.column("story_id").unique().to_pylist())
    return len(ids)


def _already_published(settings: Settings, day: str) -> StageResult | None:
    """A no-op result when ``day`` is published and no work files wait for publish (a
    repeated publish, or one after a kill during the work files' cleanup); else None."""
    from newsflow.repair import repair_later_days

    work = work_dir(settings)
    manifest = partition_dir(settings.lake, "_runs", day) / "manifest.json"
    if any(partition_dir(work, t, day).exists() for t in WORK_TABLES) or not manifest.is_file():
        return None
    counts = dict(json.loads(manifest.read_text())["counts"])
    counts["no_op"] = 1
    log.info("publish %s: already published and no work files: nothing to do (no-op)", day)
    repair_later_days(settings, day)  # cheap when nothing points at a lost article
    return StageResult("publish", day, str(partition_dir(settings.lake, "articles", day)), counts)


def _byte_batches(
    root: Path, table: str, day: str, max_bytes: int, max_rows: int
) -> Iterator[pa.Table]:
    """A partition in pieces of at most about ``max_bytes`` and ``max_rows`` (each becomes
    one row group of the published file), read one row group at a time: a fixed number
    of rows is unbounded in bytes when rows are large, and small row groups are merged."""
    pending: list[pa.RecordBatch] = []
    size = rows = 0
    for batch in _row_group_batches(root, table, day, max_bytes):
        if pending and (size + batch.nbytes > max_bytes or rows + batch.num_rows > max_rows):
            yield pa.Table.from_batches(pending)
            pending, size, rows = [], 0, 0
        pending.append(batch)
        size, rows = size + batch.nbytes, rows + batch.num_rows
    if pending:
        yield pa.Table.from_batches(pending)


def _row_group_batches(
    root: Path, table: str, day: str, max_bytes: int
) -> Iterator[pa.RecordBatch]:
    """The partition's rows, one row group at a time, in batches of about ``max_bytes``
    (from the row groups' sizes in the footer)."""
    for f in partition_files(root, table, day):
        pf = storage.parquet_file(f)
        for i in range(pf.metadata.num_row_groups):
            rg = pf.metadata.row_group(i)
            rows = max(1, rg.num_rows * max_bytes // max(rg.total_byte_size, 1))
            yield from pf.iter_batches(batch_size=rows, row_groups=[i])


def _prune_raw_rejects(settings: Settings, day: str) -> None:
    """Remove the day's raw reject files that its published rejects no longer name."""
    from newsflow.lake.raw_rejects import prune

    keep = {
        uri.rsplit("/", 1)[-1]
        for b in iter_partition(settings.lake, "rejects", day, columns=["raw_uri"])
        for uri in b.column("raw_uri").to_pylist()
        if uri
    }
    removed = prune(settings.lake, day, keep)
    if removed:
        log.info("publish %s: removed %d raw reject files no longer referenced", day, removed)


def _write_report(settings: Settings, day: str) -> None:
    """The day's report. It is derived from the tables just published, so a failure here
    is logged, not raised: the data is complete and ``newsflow report`` rebuilds it."""
    from newsflow.report import write_report

    started = time.perf_counter()
    try:
        path = write_report(settings.lake, day)
    except Exception as e:  # the report must never cost the day's data
        log.warning("report %s: not written (%s: %s)", day, type(e).__name__, e, exc_info=True)
        return
    log.info("report %s: wrote %s in %.2fs", day, path, time.perf_counter() - started)
