"""stories: ``_work/deduped`` + ``_work/entities`` -> ``_work/stories`` (each article's
story) and ``_work/story_index`` + ``_work/story_articles`` (the stories the day touched and its
originals' vectors: what a later day needs to link to them), the memory-bound step, as its own stage so its time, retries
and memory show.

Memory is bounded by the day's originals' texts and story keys and by the candidate
open stories' vectors (``newsflow.story_index``), not by the whole index.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from newsflow.config import Settings
from newsflow.lake import schema
from newsflow.lake.partition import iter_partition, write_partition
from newsflow.lake.query import story_of_earlier, text_of_earlier
from newsflow.stages.common import StageResult, finish, work_dir
from newsflow.stories import StoryParams
from newsflow.story_copies import other_reports
from newsflow.story_days import DAY_COLUMNS, assign_partition
from newsflow.story_index import INDEX_SCHEMAS, LinkParams, OpenStories

_ARTICLE_COLUMNS = [
    "article_id",
    "published_at",
    "published_precision",
    "is_duplicate",
    "duplicate_of",
    "text",
    "language",
    "title",
    "source",
]
_ENTITY_COLUMNS = ["article_id", "start", "end", "entity_key", "label", "country"]


def as_originals(batches: Iterable[pa.RecordBatch], ids: pa.Array) -> Iterator[pa.RecordBatch]:
    """``batches`` with the articles ``ids`` (near copies that may be other reports,
    ``story_copies``) as originals: clustered like originals, not given their
    original's story unseen. Where the rows say whether they are copies
    (``is_duplicate``), ``duplicate_of`` keeps the original: the clustering lets the copy
    follow it when the story model links the two (``story_index._followers``); the
    dates' read (``duplicate_of`` alone) takes the copy on its own day."""
    for b in batches:
        m = pc.is_in(b.column("article_id"), value_set=ids)
        if not pc.any(m).as_py():
            yield b
            continue
        cols = dict(zip(b.schema.names, b.columns, strict=True))
        if "is_duplicate" in cols:
            cols["is_duplicate"] = pc.if_else(m, False, cols["is_duplicate"])
        else:
            none = pa.scalar(None, pa.string())
            cols["duplicate_of"] = pc.if_else(m, none, cols["duplicate_of"])
        yield pa.RecordBatch.from_pydict(cols, schema=b.schema)


def stories(settings: Settings, day: str) -> StageResult:
    """Group the day's articles into stories, linked to the open stories of earlier
    days; copies join their original's story, but a near copy that may be another report
    (``story_copies``: two reports from one template) joins it only if the story model
    links the two, and is clustered like an original otherwise."""
    started = time.perf_counter()
    work = work_dir(settings)
    link = LinkParams.from_settings(settings)
    d = date.fromisoformat(day)

    def open_stories(on: date, also: Path | None) -> OpenStories:
        return OpenStories(
            settings.lake, on, link.horizon_days, link.representatives, link.memory_mb, also
        )

    near = {
        r["article_id"]: r["duplicate_of"]
        for b in iter_partition(
            work, "duplicates", day, columns=["article_id", "duplicate_of", "method"]
        )
        for r in b.filter(pc.equal(b.column("method"), "near")).to_pylist()
    }
    texts = iter_partition(work, "deduped", day, columns=["article_id", "text"], batch_size=5_000)
    reports = other_reports(near, texts, lambda ids: text_of_earlier(settings.lake, ids))

    def deduped(columns: list[str]) -> Iterator[pa.RecordBatch]:
        rows = iter_partition(work, "deduped", day, columns=columns, batch_size=5_000)
        return as_originals(rows, reports)

    story_of, rows = assign_partition(
        d,
        lambda: deduped(_ARTICLE_COLUMNS),
        lambda: iter_partition(work, "entities", day, columns=_ENTITY_COLUMNS, batch_size=50_000),
        StoryParams.from_settings(settings),
        link,
        open_stories,
        dates=lambda: deduped(DAY_COLUMNS),
        earlier=lambda ids: story_of_earlier(settings.lake, ids),
        scratch=work,
    )
    table = pa.table(
        {"article_id": list(story_of), "story_id": list(story_of.values())}, schema=schema.STORIES
    )
    out = write_partition(work, "stories", day, [table], schema.STORIES)
    for part, sch in INDEX_SCHEMAS.items():
        write_partition(work, part, day, [rows[part]], sch)
    first_seen = rows["story_index"]["first_seen"].to_pylist()
    # the partition's earliest publication day (``story_days``): stories first seen
    # before it are earlier partitions' stories continued
    start = pc.min(rows["story_articles"]["day"]).as_py() or d
    counts = {
        "articles": len(story_of),
        "stories": len(first_seen),
        "stories_continued": sum(f < start for f in first_seen),
    }
    return finish(StageResult("stories", day, str(out), counts), started, settings)
