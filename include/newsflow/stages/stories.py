"""stories: ``_work/deduped`` + ``_work/entities`` -> ``_work/stories`` (each article's
story) and ``_work/story_index`` + ``_work/story_articles`` (the stories the day touched and its
originals' vectors: what a later day needs to link to them), the memory-bound step, as its own stage so its time, retries
and memory show.

Memory is bounded by the day's originals' texts and story keys and by the candidate
open stories' vectors (``newsflow.story_index``), not by the whole index.
"""

from __future__ import annotations

import time
from datetime import date

import pyarrow as pa

from newsflow.config import Settings
from newsflow.lake import schema
from newsflow.lake.partition import iter_partition, write_partition
from newsflow.lake.query import story_of_earlier
from newsflow.stages.common import StageResult, finish, work_dir
from newsflow.stories import StoryParams
from newsflow.story_index import INDEX_SCHEMAS, LinkParams, OpenStories, assign_day

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


def stories(settings: Settings, day: str) -> StageResult:
    """Group the day's articles into stories, linked to the open stories of earlier
    days; copies join their original's story."""
    started = time.perf_counter()
    work = work_dir(settings)
    link = LinkParams.from_settings(settings)
    open_ = OpenStories(
        settings.lake,
        date.fromisoformat(day),
        link.horizon_days,
        link.representatives,
        link.memory_mb,
    )
    story_of, rows = assign_day(
        date.fromisoformat(day),
        iter_partition(work, "deduped", day, columns=_ARTICLE_COLUMNS, batch_size=5_000),
        iter_partition(work, "entities", day, columns=_ENTITY_COLUMNS, batch_size=50_000),
        StoryParams.from_settings(settings),
        link,
        open_,
        earlier=lambda ids: story_of_earlier(settings.lake, ids),
    )
    table = pa.table(
        {"article_id": list(story_of), "story_id": list(story_of.values())}, schema=schema.STORIES
    )
    out = write_partition(work, "stories", day, [table], schema.STORIES)
    for part, sch in INDEX_SCHEMAS.items():
        write_partition(work, part, day, [rows[part]], sch)
    first_seen = rows["story_index"]["first_seen"].to_pylist()
    counts = {
        "articles": len(story_of),
        "stories": len(first_seen),
        "stories_continued": sum(f < date.fromisoformat(day) for f in first_seen),
    }
    return finish(StageResult("stories", day, str(out), counts), started, settings)
