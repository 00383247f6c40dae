"""A partition that holds several days' news (a backfill, a month's dump given as one
day) is linked as the stream it holds: a publication day at a time.

Within one day, stories are average-linkage clusters whose articles are at most
``window_days`` apart; across days, a day's clusters join open stories through their
latest representatives, with time decay (``story_index``). Clustering a month's
articles as one day would link only what falls inside the date window, and average
away a story told over weeks (a shooting, the arrest, the trial): the same articles
given day by day score far better. So when a partition's publication dates span more
than ``window_days``, ``assign_partition`` takes its articles a publication day at a
time, in date order, each day linking to the stories of the horizon *and* of the
partition's earlier days, exactly as if they had arrived in daily partitions. A
partition whose dates fit in the window (every daily run) is one step, as before.

The days' index parts are written to a scratch folder read beside the lake's, then
merged into the partition's: its originals' vectors and document frequencies of every
day, and one row per story it touched (the story as it stands after its last day,
with the partition's articles of it). Stories' ``first_seen``/``last_seen``/``days``
are then publication days, which in a daily run they are too. An article with no
date, or one outside the horizon (an archive's years-old page, a date after the
partition's day), is taken on the partition's day, as in a daily run (so ECB+, whose
few dates found in texts are years apart, stays one day); a backfill longer than the
horizon is better given as daily partitions. A copy is taken on its original's day
when that is in the partition (it joins the original's story; the stories stage gives
a near copy as an original, on its own day).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newsflow.lake import schema
from newsflow.lake.partition import rows_of, write_partition
from newsflow.stories import StoryParams
from newsflow.story_index import (
    ARTICLES,
    DF,
    INDEX,
    INDEX_SCHEMAS,
    LinkParams,
    OpenStories,
    assign_day,
)

# what the days are found from, read before the articles themselves
DAY_COLUMNS = ["article_id", "published_at", "duplicate_of"]


def publication_days(
    day: date, rows: pa.Table, horizon_days: int, window_days: int
) -> dict[str, date] | None:
    """Each article's publication day (see the module docstring) when ``rows``
    (``DAY_COLUMNS``) span more than ``window_days`` of them, else None: the partition
    is linked as one day."""
    if not len(rows):
        return None
    first = day - timedelta(days=max(horizon_days, 0))
    utc = pc.cast(rows["published_at"], pa.timestamp("us", tz="UTC"))
    # a date-only ``published_at`` is stored as 00:00 UTC: its date is its day
    days = pc.cast(utc, pa.date32()).to_numpy(zero_copy_only=False)
    known = ~pc.is_null(utc).to_numpy(zero_copy_only=False)
    lo, hi = np.datetime64(first, "D"), np.datetime64(day, "D")
    when = np.where(known, days.astype("datetime64[D]"), hi)
    when[(when < lo) | (when > hi)] = hi  # outside the horizon: as undated
    if (when.max() - when.min()).astype(int) <= window_days:
        return None
    ids = rows["article_id"].to_pylist()
    out = {a: d.item() for a, d in zip(ids, when, strict=True)}
    for a, orig in zip(ids, rows["duplicate_of"].to_pylist(), strict=True):
        if orig and orig in out:
            out[a] = out[orig]
    return out


def assign_partition(
    day: date,
    articles: Callable[[], Iterable[pa.RecordBatch]],
    entities: Callable[[], Iterable[pa.RecordBatch]],
    params: StoryParams,
    link: LinkParams,
    open_stories: Callable[[date, Path | None], OpenStories],
    *,
    dates: Callable[[], Iterable[pa.RecordBatch]],
    earlier: Callable[[set[str]], dict[str, str]],
    scratch: Path,
) -> tuple[dict[str, str], dict[str, pa.Table]]:
    """``assign_day``'s result for a partition, a publication day at a time when its
    dates span more than the clustering's window (the module docstring).

    ``articles`` and ``entities`` open the partition's rows anew (each day reads its
    own), ``dates`` its ``DAY_COLUMNS`` alone (the days are found without reading the
    texts); ``open_stories(d, also)`` opens the index for day ``d`` with the state folder
    ``also`` read beside the lake's; the days' parts are kept under ``scratch``."""
    dated = [b.select(DAY_COLUMNS) for b in dates()]
    when = (
        publication_days(day, pa.Table.from_batches(dated), link.horizon_days, params.window_days)
        if dated
        else None
    )
    if when is None:
        return assign_day(
            day, articles(), entities(), params, link, open_stories(day, None), earlier=earlier
        )
    del dated
    by_day: dict[date, list[str]] = {}
    for a, d in when.items():
        by_day.setdefault(d, []).append(a)
    story_of: dict[str, str] = {}
    parts: dict[str, list[pa.Table]] = {name: [] for name in INDEX_SCHEMAS}

    def known(ids: set[str]) -> dict[str, str]:
        here = {a: story_of[a] for a in ids if a in story_of}
        return here | earlier(ids - here.keys())

    with tempfile.TemporaryDirectory(prefix="story-days-", dir=scratch) as tmp:
        state = Path(tmp)
        for d in sorted(by_day):
            ids = pa.array(sorted(by_day[d]), pa.string())
            got, rows = assign_day(
                d,
                rows_of(articles(), ids),
                rows_of(entities(), ids),
                params,
                link,
                open_stories(d, state),
                earlier=known,
            )
            story_of.update(got)
            for name, sch in INDEX_SCHEMAS.items():
                write_partition(state, name, d.isoformat(), [rows[name]], sch)
                parts[name].append(rows[name])
    return story_of, {
        INDEX: _latest_rows(parts[INDEX]),
        ARTICLES: pa.concat_tables(parts[ARTICLES]),
        DF: pa.concat_tables(parts[DF]),
    }


def _latest_rows(days: list[pa.Table]) -> pa.Table:
    """One ``story_index`` row per story of the partition's days: its row of its last
    day (which carries the earlier days' through the index), with all the partition's
    articles of it as ``articles_today``."""
    rows = pa.concat_tables(days)
    today: dict[str, int] = {}
    last: dict[str, int] = {}
    for k, (s, n) in enumerate(
        zip(rows["story_id"].to_pylist(), rows["articles_today"].to_pylist(), strict=True)
    ):
        today[s] = today.get(s, 0) + n
        last[s] = k  # the days come in date order
    keep = sorted(last, key=str)
    out = rows.take(pa.array([last[s] for s in keep], pa.int64()))
    col = out.schema.get_field_index("articles_today")
    return out.set_column(
        col, out.schema.field(col), pa.array([today[s] for s in keep], pa.int32())
    ).cast(schema.STORY_INDEX)
