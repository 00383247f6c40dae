"""Cost of the stories stage at scale: one day of ``--n`` articles (default 100k) linked
against ``--days`` (default 30) earlier days of story index of the same size.

Articles are made of ECB+ sentences (``../shared/eval/story_clusters``, read at run
time): events of about three articles, each article telling 8 of its event's 12
sentences plus 3 of its own, with the event's synthetic people and place written into
the text (so entity spans and story keys exist, as tag gives them); a fifth of the
day's events continue events of the earlier days. The earlier days' index parts are
written the way publish writes them: day 0's articles, each its own story, through the
index's own row builders, then copied under 30 days with fresh story and article ids
(the index then holds 30 x n articles and 30 x n stories).

The measured step runs in a fresh process (peak RSS is its own): ``assign_day`` on the
day's n articles (within-day clustering, candidate search in the index, linking, the
day's index rows), timed by phase, on one core (``OMP_NUM_THREADS=1``).

    .venv/bin/python benchmarks/story_scale.py [--n 100000] [--days 30] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from array import array
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from newsflow.lake.partition import write_partition  # noqa: E402
from newsflow.story_index import (  # noqa: E402
    ARTICLES,
    DF,
    INDEX,
    INDEX_SCHEMAS,
    STATE,
)
from pipeline_corpus import _paragraphs  # noqa: E402
from story_stream import put_section  # noqa: E402

CACHE = HERE / ".cache" / "story_scale"
DAY = date(2024, 6, 1)


def _sentences() -> list[str]:
    paras, _ = _paragraphs()
    return sorted({x.strip() + "." for p in paras for x in p.split(". ") if len(x.split()) >= 6})


COPY_SHARE = 0.02  # of the measured day: near copies that may be other reports


def make_day(n: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """(articles, entities) of a synthetic day: events of about three articles each, an
    article telling 8 of its event's 12 sentences and 3 sentences of its own; a fifth of
    day 1's events are day 0's (follow-ups the index must link). Of day 1, the last
    ``COPY_SHARE`` are near copies of its other articles whose opening names a place the
    original never writes (a dateline): the stories stage asks the story model whether
    such a copy follows its original (``story_copies``), as it would of MinHash's."""
    rng = random.Random(seed)
    sentences = _sentences()
    _, titles = _paragraphs()
    n_events = max(1, n // 3)
    ids, texts, heads, ents = [], [], [], []
    copies = int(n * COPY_SHARE) if seed else 0
    for k in range(n - copies):
        e = rng.randrange(n_events)
        if seed and rng.random() >= 0.2:
            e += seed * n_events  # a new event of this day
        ev = random.Random(e)
        who = [f"Person{ev.randrange(10**6)} Surname{ev.randrange(997)}" for _ in range(2)]
        where = f"Town{ev.randrange(3_000)}"
        own = ev.sample(sentences, 12)
        told = rng.sample(own, 8) + rng.sample(sentences, 3)
        rng.shuffle(told)
        aid = f"s{seed}-{k:07d}"
        text = f"{who[0]} and {who[1]} spoke in {where}.\n" + " ".join(told)
        ids.append(aid)
        texts.append(text)
        heads.append(f"{titles[ev.randrange(len(titles))]} ({where})")
        at = 0
        for name, label in ((who[0], "PERSON"), (who[1], "PERSON"), (where, "GPE")):
            start = text.index(name, at)
            ents.append((aid, start, start + len(name), name, label))
            at = start + len(name)
    dup_of: list[str | None] = [None] * (n - copies)
    for k in range(n - copies, n):
        o = rng.randrange(n - copies)
        line = f"PORTVILLE, Region{rng.randrange(50)}. - "
        ids.append(f"s{seed}-{k:07d}")
        texts.append(line + texts[o].rsplit(". ", 1)[0] + ".")
        heads.append(heads[o])
        dup_of.append(ids[o])
        at = len(line)
        ents += [(ids[-1], a + at, b + at, e, lab) for _, a, b, e, lab in ents[3 * o : 3 * o + 3]]
    noon = datetime(2024, 6, 1, 12, tzinfo=UTC)
    arts = pa.table(
        {
            "article_id": ids,
            "published_at": pa.array([noon] * n, pa.timestamp("us", tz="UTC")),
            "is_duplicate": [False] * n,
            "duplicate_of": pa.array(dup_of, pa.string()),
            "text": texts,
            "language": ["en"] * n,
            "title": heads,
            "source": [f"site{k % 50}.example" for k in range(n)],
        }
    )
    a, s, e, name, label = zip(*ents, strict=True)
    entities = pa.table(
        {
            "article_id": list(a),
            "start": pa.array(s, pa.int32()),
            "end": pa.array(e, pa.int32()),
            "entity_key": list(name),
            "label": list(label),
            "country": pa.array([None] * len(a), pa.string()),
        }
    )
    return arts, entities


def build(n: int, days: int, lake: Path) -> None:
    """The day's input files and ``days`` earlier days of index parts in ``lake``."""
    from newsflow.config import Settings
    from newsflow.stories import StoryParams
    from newsflow.story_index import (
        LinkParams,
        OpenStories,
        article_rows,
        day_vectors,
        df_rows,
        slot_lists,
    )
    from newsflow.story_slots import Slots

    lake.mkdir(parents=True, exist_ok=True)
    arts, ents = make_day(n, seed=1)
    pq.write_table(arts, lake / "day_articles.parquet")
    pq.write_table(ents, lake / "day_entities.parquet")
    old, _ = make_day(n, seed=0)
    lp = LinkParams.from_settings(Settings())
    sp = StoryParams.from_settings(Settings())
    t0 = time.perf_counter()
    texts = old.column("text").to_pylist()
    empty = OpenStories(lake, DAY, 0).df()  # no earlier days: an empty window
    _, _, df, stored = day_vectors(
        texts, texts, old.column("title").to_pylist(), [array("i")] * n, empty, lp, sp
    )
    slots = Slots.of_texts(texts)  # as assign_day keeps them
    df["slots"] = slots.df()
    stored["slot_entries"] = slot_lists(slots, n)
    ids = old.column("article_id").to_pylist()
    rows = article_rows(DAY, ids, ids, stored)
    dfs = df_rows(df, n)
    print(f"index rows of {n} articles: {time.perf_counter() - t0:.1f} s", flush=True)
    for back in range(1, days + 1):
        d = DAY - timedelta(days=back)
        suffix = f"-d{back}"
        part = rows.set_column(
            0, "story_id", pc.binary_join_element_wise(rows["story_id"], suffix, "")
        )
        part = part.set_column(
            1, "article_id", pc.binary_join_element_wise(rows["article_id"], suffix, "")
        )
        part = part.set_column(2, "day", pa.array([d] * n, pa.date32()))
        write_partition(lake / STATE, ARTICLES, d.isoformat(), [part], INDEX_SCHEMAS[ARTICLES])
        write_partition(lake / STATE, DF, d.isoformat(), [dfs], INDEX_SCHEMAS[DF])
        summary = pa.table(
            {
                "story_id": part["story_id"],
                "title": old["title"],
                "first_seen": pa.array([d] * n, pa.date32()),
                "last_seen": pa.array([d] * n, pa.date32()),
                "days": pa.array([1] * n, pa.int32()),
                "articles": pa.array([1] * n, pa.int64()),
                "articles_today": pa.array([1] * n, pa.int32()),
                "sources": pa.array([["site.example"]] * n),
                "languages": pa.array([["en"]] * n),
                "entity_keys": pa.array([[]] * n, pa.list_(pa.string())),
                "entity_counts": pa.array([[]] * n, pa.list_(pa.int32())),
            }
        )
        write_partition(lake / STATE, INDEX, d.isoformat(), [summary], INDEX_SCHEMAS[INDEX])
    print(f"index of {days} days written: {time.perf_counter() - t0:.1f} s", flush=True)


def measure(lake: Path) -> dict:
    """``assign_day`` on the prepared day, by phase (run in its own process)."""
    import newsflow.story_index as si
    from newsflow.config import Settings
    from newsflow.stories import StoryParams

    phases: dict[str, float] = {}
    peaks: dict[str, int] = {}  # the peak RSS when each phase ended: where the peak is

    def timed(name, fn):
        def wrap(*a, **k):
            t = time.perf_counter()
            out = fn(*a, **k)
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - t
            peaks[name] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            return out

        return wrap

    si.cluster_stories = timed("within-day clustering", si.cluster_stories)
    si.link_clusters = timed("linking to open stories", si.link_clusters)
    si.day_vectors = timed("hashed vectors", si.day_vectors)
    settings = Settings()
    lp = si.LinkParams.from_settings(settings)
    t0 = time.perf_counter()
    open_ = si.OpenStories(lake, DAY, lp.horizon_days, lp.representatives, lp.memory_mb)
    phases["open index (DuckDB)"] = time.perf_counter() - t0
    # streamed, as the stage streams its work files (iter_partition)
    arts = pq.ParquetFile(lake / "day_articles.parquet")
    ents = pq.ParquetFile(lake / "day_entities.parquet")
    t1 = time.perf_counter()
    story, rows = si.assign_day(
        DAY,
        arts.iter_batches(5_000),
        ents.iter_batches(50_000),
        StoryParams.from_settings(settings),
        lp,
        open_,
        earlier=lambda ids: {},
    )
    total = time.perf_counter() - t0
    linked = sum(f < DAY for f in rows[INDEX]["first_seen"].to_pylist())
    near = pq.read_table(lake / "day_articles.parquet", columns=["article_id", "duplicate_of"])
    pairs = [(c, o) for c, o in zip(*near.to_pydict().values(), strict=True) if o]
    return {
        "articles": len(story),
        "index_articles": sum(pq.ParquetFile(f).metadata.num_rows for f in open_.rep_files),
        "stories": rows[INDEX].num_rows,
        "stories_linked_to_earlier": linked,
        "near_copies": len(pairs),
        "near_copies_following": sum(story[c] == story[o] for c, o in pairs),
        "seconds_total": round(total, 1),
        "seconds_assign_day": round(time.perf_counter() - t1, 1),
        "phases": {k: round(v, 1) for k, v in phases.items()},
        "peaks": peaks,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cpu_seconds": round(time.process_time(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    lake = CACHE / f"{args.n}x{args.days}"
    if not (lake / "day_entities.parquet").exists():
        build(args.n, args.days, lake)
    env = os.environ | {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run(  # pinned to one core: DuckDB's threads share it
        ["taskset", "-c", "0", sys.executable, __file__, "--measure", str(lake)],
        env=env,
        stdout=subprocess.PIPE,  # the child's errors go to our stderr
        text=True,
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    report = (
        f"""## Cost at scale: a {args.n:,}-article day against {args.days} days of index

Synthetic day (`benchmarks/story_scale.py`): events told in ECB+ sentences with synthetic
names, a fifth continuing earlier days' events; the index holds {got["index_articles"]:,} earlier articles (the latest
representatives of {args.days} x {args.n:,} stories). One process, one thread.

| figure | value |
|---|---|
| articles of the day | {got["articles"]:,} |
| stories the day touched | {got["stories"]:,} (linked to earlier: {got["stories_linked_to_earlier"]:,}) |
| near copies that may be other reports (a dateline in the opening) | {got["near_copies"]:,} (following their original: {got["near_copies_following"]:,}) |
| wall time, stories stage's assignment | **{got["seconds_total"]} s** |
| CPU time | {got["cpu_seconds"]} s |
| peak RSS | **{got["peak_rss_mib"]} MiB** |
"""
        + "".join(
            f"| of which {k} | {v} s (peak RSS by its end {got['peaks'][k]} MiB) |\n"
            for k, v in got["phases"].items()
            if k in got["peaks"]
        )
        + "".join(
            f"| of which {k} | {v} s |\n" for k, v in got["phases"].items() if k not in got["peaks"]
        )
        + f"""
Command: `.venv/bin/python benchmarks/story_scale.py --n {args.n} --days {args.days}`.
"""
    )
    print(report)
    if args.out:
        put_section(args.out, "## Cost at scale", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
