"""clean: ``_work/ingested`` -> ``_work/cleaned`` (+ ``_work/rejects_clean``), by shards.

A shard is a contiguous slice of the ingested rows; the DAG maps one clean task over
each (``plan_clean`` splits the day), the CLI runs them in worker processes, one per
core: extraction is CPU-bound. Each shard writes only its own file, so shards need no
lock between them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from newsflow.config import Settings
from newsflow.ids import stable_id
from newsflow.lake import schema
from newsflow.lake.partition import (
    iter_partition,
    part_writer,
    partition_dir,
    write_part,
)
from newsflow.records import RawDoc, Reject

if TYPE_CHECKING:
    from newsflow.clean.repeats import SourceLines
from newsflow.stages.common import (
    RejectSink,
    StageResult,
    batches,
    finish,
    plan_shards,
    shard_slice,
    work_dir,
)

log = logging.getLogger("newsflow")


def plan_clean(settings: Settings, day: str) -> list[int]:
    """The day's clean shards: at most ``clean_shards``, of at least ``shard_min_docs``
    documents each; and the day's line counts per source (``source_lines``)."""
    shards = plan_shards(
        settings,
        day,
        "clean",
        source="ingested",
        outputs=("cleaned", "rejects_clean", "source_lines"),
        most=settings.clean_shards,
        per_shard=settings.shard_min_docs,
        round_up=True,
    )
    if settings.clean_source_lines:
        out = partition_dir(work_dir(settings), "source_lines", day)
        out.mkdir(parents=True, exist_ok=True)
        source_lines(settings, day).save(out / SOURCE_LINES)
    return shards


SOURCE_LINES = "lines.npz"


def clean_workers(settings: Settings, day: str) -> int:
    """Worker processes for a whole day's shards in one process: one per core."""
    from newsflow.parallel import effective_workers

    return effective_workers(settings.workers)


def source_lines(settings: Settings, day: str) -> SourceLines:
    """A pass over the day's documents: in how many of each source's text dumps each
    line occurs (keys only, ``repeats.SourceLines``), the evidence that a line is the
    site's chrome rather than its article's text."""
    from newsflow.clean.repeats import SourceLines, source_key

    lines = SourceLines()
    cols = ["kind", "content", "url", "source", "source_uri"]
    for batch in shard_slice(settings, day, "ingested", 0, 1, columns=cols):
        # HTML pages are not counted: filter them out before their text becomes Python's
        batch = batch.filter(pc.not_equal(batch.column("kind"), "html"))
        for kind, content, url, source, uri in zip(
            *(batch.column(c).to_pylist() for c in cols), strict=True
        ):
            key = source_key(kind, url, source, uri)
            if key is not None:
                lines.add(key, content)
    return lines


def clean(settings: Settings, day: str, shard: int, shards: int) -> StageResult:
    """Clean shard ``shard`` of ``shards``: each document becomes an article or a reject
    (text dumps with the evidence of their source's other dumps in the shard)."""
    from newsflow.clean.guard import BoundedCleaner
    from newsflow.clean.repeats import source_key

    started = time.perf_counter()
    counts = {"documents": 0, "articles": 0, "rejects": 0}
    taken: set[str] = set()
    the_day = date.fromisoformat(day)
    recurring = _planned_lines(settings, day)

    def rows(rejects: RejectSink, clean_document: BoundedCleaner) -> Iterator[dict]:
        for batch in shard_slice(settings, day, "ingested", shard, shards):
            for rec in batch.to_pylist():
                counts["documents"] += 1
                doc = RawDoc(**rec)
                key = source_key(doc.kind, doc.url, doc.source, doc.source_uri)
                evidence = recurring.evidence(key, doc.content) if key is not None else None
                try:
                    out = clean_document(doc, day=the_day, evidence=evidence)
                except Exception as e:  # one bad document must not end the run
                    log.warning("clean failed for %s: %s", doc.source_uri, e, exc_info=True)
                    message = f"{type(e).__name__}: {e}"
                    out = Reject(doc.source_uri, "clean", "clean_error", message, doc.raw)
                if isinstance(out, Reject):
                    counts["rejects"] += 1
                    rejects.add(out)
                    continue
                if out["article_id"] in taken:
                    # the same URL or text twice in one day: keep ids unique; dedup links
                    # them (repeats across shards are renamed the same way by
                    # cleaned_batches)
                    out["article_id"] = stable_id(out["article_id"], out["source_uri"])
                taken.add(out["article_id"])
                counts["articles"] += 1
                yield out

    work = work_dir(settings)
    with (
        part_writer(work, "rejects_clean", day, shard, schema.REJECTS) as rw,
        BoundedCleaner(settings) as cleaner,
    ):
        sink = RejectSink(rw, settings, day)
        write_part(
            work,
            "cleaned",
            day,
            shard,
            batches(rows(sink, cleaner), schema.CLEANED, 200),
            schema.CLEANED,
        )
        sink.flush()
    out = partition_dir(work, "cleaned", day)
    return finish(StageResult("clean", day, str(out), counts, shard=shard), started, settings)


def _planned_lines(settings: Settings, day: str) -> SourceLines:
    """The line counts ``plan_clean`` saved (none when it was told not to count)."""
    from newsflow.clean.repeats import SourceLines

    path = partition_dir(work_dir(settings), "source_lines", day) / SOURCE_LINES
    if not settings.clean_source_lines or not path.exists():
        return SourceLines()
    return SourceLines.load(path)


def cleaned_batches(
    work: Path, day: str, *, columns: list[str] | None = None, batch_size: int = 1_000
) -> Iterator[pa.RecordBatch]:
    """The day's cleaned rows, shard files in order, with ids unique across shards: a
    repeat of an earlier shard's id is renamed as clean renames repeats within a shard,
    so one shard or many give the same ids."""
    cols = None if columns is None else list(dict.fromkeys([*columns, "source_uri"]))
    seen: set[str] = set()
    for batch in iter_partition(work, "cleaned", day, columns=cols, batch_size=batch_size):
        ids = batch.column("article_id").to_pylist()
        uris = batch.column("source_uri").to_pylist()
        fixed = []
        for aid, uri in zip(ids, uris, strict=True):
            if aid in seen:
                aid = stable_id(aid, uri)
            seen.add(aid)
            fixed.append(aid)
        if fixed != ids:
            i = batch.schema.get_field_index("article_id")
            batch = batch.set_column(i, "article_id", pa.array(fixed, pa.string()))
        if columns is not None:
            batch = batch.select(columns)
        yield batch
