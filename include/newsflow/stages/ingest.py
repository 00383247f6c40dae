"""ingest: the day's inbox files and remote sources -> ``_work/ingested`` (+ rejects)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from newsflow.config import Settings
from newsflow.ingest.day import DayInputs
from newsflow.lake import schema
from newsflow.lake.partition import partition_dir, partition_writer, write_partition
from newsflow.records import Reject
from newsflow.stages.common import RejectSink, StageResult, batches, finish, work_dir


def ingest(settings: Settings, day: str) -> StageResult:
    """Every input of ``day`` becomes a row of ``_work/ingested`` or of its rejects."""
    started = time.perf_counter()
    counts = {"inputs": 0, "documents": 0, "rejects": 0}
    work = work_dir(settings)
    with DayInputs(settings, day) as inputs:

        def docs(rejects: RejectSink) -> Iterator[dict]:
            for item in inputs:
                counts["inputs"] += 1
                if isinstance(item, Reject):
                    counts["rejects"] += 1
                    rejects.add(item)
                    continue
                counts["documents"] += 1
                yield item.row()
            # before anything is swapped in: the previous work files and raw WARC stay
            _keep_published_day(settings, day, counts["documents"], inputs.unchanged)

        with partition_writer(work, "rejects_ingest", day, schema.REJECTS) as rw:
            sink = RejectSink(rw, settings, day)
            rows = batches(docs(sink), schema.RAW, 200)
            # small row groups: readers stream a row group at a time, and raw pages are
            # large (10,000 rows of 70 KB pages made 1.4 GB row groups in clean's memory)
            out = write_partition(work, "ingested", day, rows, schema.RAW, row_group_size=200)
            sink.flush()
    counts.update(inputs.counts())
    return finish(StageResult("ingest", day, str(out), counts), started, settings)


def _keep_published_day(settings: Settings, day: str, documents: int, unchanged: int) -> None:
    """Refuse to replace a published day that had articles with an empty one only because
    its sources answered 304 Not Modified: their documents were fetched before (the raw
    WARC that held them is gone, or a server ignores validators), not absent."""
    if documents or not unchanged:
        return
    manifest = partition_dir(settings.lake, "_runs", day) / "manifest.json"
    try:
        published = json.loads(manifest.read_text())["counts"]["articles"]
    except (OSError, ValueError, KeyError, TypeError):
        return  # not published (or no readable manifest): nothing to protect
    if published:
        raise RuntimeError(
            f"ingest {day}: {unchanged} remote source(s) answered 304 Not Modified and nothing "
            f"else was found, but {day} is published with {published} articles; not replacing "
            "them with an empty day. Fetch the sources anew with refetch=true (the DAG's "
            "'refetch' Param, or NEWSFLOW_REFETCH=true)"
        )
