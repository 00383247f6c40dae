"""stories: ``_work/deduped`` + ``_work/entities`` -> ``_work/stories`` (each article's
story), the memory-bound step, as its own stage so its time, retries and memory show.

Memory is bounded by the day's originals' texts and story keys (``assign_stories``).
"""

from __future__ import annotations

import time

import pyarrow as pa

from newsflow.config import Settings
from newsflow.lake import schema
from newsflow.lake.partition import iter_partition, write_partition
from newsflow.lake.query import story_of_earlier
from newsflow.stages.common import StageResult, finish, work_dir
from newsflow.stories import StoryParams, assign_stories

_ARTICLE_COLUMNS = [
    "article_id",
    "published_at",
    "is_duplicate",
    "duplicate_of",
    "text",
    "language",
]
_ENTITY_COLUMNS = ["article_id", "entity_key", "label", "country"]


def stories(settings: Settings, day: str) -> StageResult:
    """Group the day's articles into stories; copies join their original's story."""
    started = time.perf_counter()
    work = work_dir(settings)
    story_of = assign_stories(
        iter_partition(work, "deduped", day, columns=_ARTICLE_COLUMNS, batch_size=5_000),
        iter_partition(work, "entities", day, columns=_ENTITY_COLUMNS, batch_size=50_000),
        StoryParams.from_settings(settings),
        earlier=lambda ids: story_of_earlier(settings.lake, ids),
    )
    table = pa.table(
        {"article_id": list(story_of), "story_id": list(story_of.values())}, schema=schema.STORIES
    )
    out = write_partition(work, "stories", day, [table], schema.STORIES)
    counts = {"articles": len(story_of), "stories": len(set(story_of.values()))}
    return finish(StageResult("stories", day, str(out), counts), started, settings)
