"""The pipeline's stages: plain functions over one day's partitions.

Each stage reads the previous stage's Parquet for one day under ``LAKE/_work`` and
writes its own, so any stage can be re-run alone (from the CLI or as an Airflow
task on another worker) and all hand-over happens through files, never memory.
``publish`` writes the public tables and the run manifest, then removes the day's
work files. Each returns a small ``StageResult`` whose ``path`` is what Airflow
passes in XCom.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from newsflow.config import Settings
from newsflow.lake import schema, storage
from newsflow.lake.partition import (
    PartWriter,
    drop_partition,
    iter_partition,
    part_writer,
    partition_dir,
    partition_files,
    partition_writer,
    publish_atomically,
    write_part,
    write_partition,
)
from newsflow.records import RawDoc, Reject

log = logging.getLogger("newsflow")

WORK = "_work"
STAGES = ("ingest", "clean", "dedup", "tag", "publish")
WORK_TABLES = (
    "ingested",
    "rejects_ingest",
    "cleaned",
    "rejects_clean",
    "deduped",
    "duplicates",
    "entities",
    "minhash",
    "minhash_signatures",
    "stats",
)


# What each stage's counts mean for its log line: (read, written, rejected) keys.
_LOG_COUNTS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "ingest": ("inputs", ("documents",), "rejects"),
    "clean": ("documents", ("articles",), "rejects"),
    "dedup": ("articles", ("articles", "duplicates"), None),
    "tag": ("articles_tagged", ("mentions",), None),
    "publish": ("articles", ("articles", "entities", "duplicates", "rejects", "stories"), None),
}


@dataclass
class StageResult:
    stage: str
    day: str
    path: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    shard: int | None = None  # which clean shard, for the DAG's mapped clean tasks

    def to_dict(self) -> dict:
        return asdict(self)


def _work(settings: Settings) -> Path:
    return storage.lake_path(settings.lake) / WORK


def _day(day: str) -> date:
    return date.fromisoformat(day)


def _batches(rows: Iterator[dict], schema_: pa.Schema, size: int = 500) -> Iterator[pa.RecordBatch]:
    buf: list[dict] = []
    for row in rows:
        buf.append(row)
        if len(buf) >= size:
            yield pa.RecordBatch.from_pylist(buf, schema=schema_)
            buf = []
    if buf:
        yield pa.RecordBatch.from_pylist(buf, schema=schema_)


def _finish(result: StageResult, started: float, settings: Settings) -> StageResult:
    result.seconds = round(time.perf_counter() - started, 3)
    stats = partition_dir(_work(settings), "stats", result.day)
    stats.mkdir(parents=True, exist_ok=True)
    name = result.stage if result.shard is None else f"{result.stage}-{result.shard:05d}"
    tmp = stats / f".{name}.json.tmp"
    tmp.write_text(json.dumps(result.to_dict(), indent=2))
    storage.replace_file(tmp, stats / f"{name}.json")
    read, wrote, rejected = _LOG_COUNTS[result.stage]
    c = result.counts
    log.info(
        "%s %s: read %s %s, wrote %s, rejected %s in %.2fs -> %s (%s)",
        result.stage,
        result.day,
        c.get(read, "?"),
        read,
        ", ".join(f"{c.get(k, '?')} {k}" for k in wrote),
        c.get(rejected, 0) if rejected else 0,
        result.seconds,
        result.path,
        ", ".join(f"{k}={v}" for k, v in c.items()),
    )
    return result


def raw_archive_path(settings: Settings, day: str) -> Path:
    """The day's fetched responses (a WARC): re-running the day replays it, no refetch."""
    return partition_dir(storage.lake_path(settings.lake) / "_raw", "fetch", day) / "fetch.warc.gz"


def _locked(func: Callable[[Settings, str], StageResult]) -> Callable[[Settings, str], StageResult]:
    """Run a stage under the day's lock, after finishing any publish a crash interrupted."""

    @functools.wraps(func)
    def wrapper(settings: Settings, day: str) -> StageResult:
        from newsflow.lake.lock import day_lock
        from newsflow.lake.partition import finish_publish

        with day_lock(settings.lake, day, settings.lock_timeout_seconds):
            finish_publish(settings.lake, day)
            return func(settings, day)

    return wrapper


@_locked
def ingest(settings: Settings, day: str) -> StageResult:
    """Inbox files and remote sources of ``day`` -> ``_work/ingested`` (+ rejects).

    Remote fetches are kept in the day's raw WARC; when it exists (and ``refetch`` is
    off) the same responses are replayed from it instead of fetched again.
    """
    from newsflow.ingest import iter_inbox
    from newsflow.ingest.fetch import Fetcher
    from newsflow.ingest.remote import RemoteIngest, day_sources, parse_sources
    from newsflow.ingest.warc import RawArchive, ReplayFetcher

    started = time.perf_counter()
    counts = {"inputs": 0, "documents": 0, "rejects": 0}
    day_dir = settings.day_dir(day)
    if day_dir.is_dir():
        sources = day_sources(day_dir, settings.sources)
    elif settings.sources:
        sources = parse_sources(settings.sources, "setting 'sources'")
    else:
        raise FileNotFoundError(f"inbox folder {day_dir} does not exist and no sources are set")
    raw_path = raw_archive_path(settings, day)
    for stale in RawArchive.remove_stale(raw_path):  # a killed fetch's temp WARC
        log.info("removed %s, left by an interrupted fetch of %s", stale, day)
    replay = raw_path.is_file() and not settings.refetch
    archive = None if replay else RawArchive(raw_path)
    fetcher = (
        ReplayFetcher(raw_path)
        if replay
        else Fetcher(settings, state_dir=storage.lake_path(settings.lake) / "_state")
    )
    remote = RemoteIngest(
        fetcher,
        concurrency=settings.fetch_concurrency,
        max_urls=settings.max_source_urls,
        fetch_pages=settings.fetch_pages,
        record=archive.record if archive else None,
    )
    feed_pages: list = []

    def items() -> Iterator[RawDoc | Reject]:
        if day_dir.is_dir():
            yield from iter_inbox(
                day_dir,
                max_bytes=settings.max_input_bytes,
                sidecar_max_bytes=settings.sidecar_max_bytes,
                feed_items=lambda found, where: remote.items(found, where, feed_pages),
            )
        yield from remote.run(sources)
        yield from remote.pages(feed_pages)

    def docs(rejects: _RejectSink) -> Iterator[dict]:
        for item in items():
            counts["inputs"] += 1
            if isinstance(item, Reject):
                counts["rejects"] += 1
                rejects.add(item)
                continue
            counts["documents"] += 1
            yield _raw_row(item)
        # before anything is swapped in: the previous work files and raw WARC stay
        _keep_published_day(settings, day, counts["documents"], remote.counts["unchanged"])

    work = _work(settings)
    try:
        with partition_writer(work, "rejects_ingest", day, schema.REJECTS) as rw:
            sink = _RejectSink(rw, settings, day)
            rows = _batches(docs(sink), schema.RAW, 200)
            # small row groups: readers stream a row group at a time, and raw pages are
            # large (10,000 rows of 70 KB pages made 1.4 GB row groups in clean's memory)
            out = write_partition(work, "ingested", day, rows, schema.RAW, row_group_size=200)
            sink.flush()
        if archive is not None and archive.records:
            archive.commit()  # first the responses, then the validators that assume them
            fetcher.save_validators()
        elif archive is not None:
            archive.abort()
    except BaseException:
        if archive is not None:
            archive.abort()
        raise
    finally:
        fetcher.close()
    counts.update({k: v for k, v in remote.counts.items() if v})
    counts["requests"] = fetcher.requests
    counts["replayed"] = int(replay)
    return _finish(StageResult("ingest", day, str(out), counts), started, settings)


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


def _raw_row(doc: RawDoc) -> dict:
    return {
        "source_uri": doc.source_uri,
        "kind": doc.kind,
        "content": doc.content,
        "raw": doc.raw,
        "url": doc.url,
        "title": doc.title,
        "source": doc.source,
        "published_at": doc.published_at,
        "authors": doc.authors,
    }


class _RejectSink:
    """Rejects go to their partition as they come, a few at a time (one row group per
    ``reject_batch_bytes``), so their bytes are never all held in memory at once; bytes
    over ``reject_inline_bytes`` are streamed to ``LAKE/_raw/rejects`` instead of the row."""

    def __init__(self, writer: PartWriter, settings: Settings, day: str, max_rows: int = 200):
        from newsflow.lake.raw_rejects import RawRejects

        self._writer, self._max_rows = writer, max_rows
        self._max_bytes = settings.reject_batch_bytes
        self._raw = RawRejects(settings.lake, day, settings.reject_inline_bytes)
        self._rows: list[dict] = []
        self._bytes = 0

    def add(self, reject: Reject) -> None:
        row = reject.row() | self._raw.columns(reject.raw, reject.raw_source)
        self._rows.append(row)
        self._bytes += len(row["bytes"] or b"")
        if len(self._rows) >= self._max_rows or self._bytes >= self._max_bytes:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self._writer.write(pa.RecordBatch.from_pylist(self._rows, schema=schema.REJECTS))
        self._rows, self._bytes = [], 0


@_locked
def clean_shards(settings: Settings, day: str) -> list[int]:
    """Plan the day's clean shards and clear what an earlier run of clean left.

    A shard is a contiguous slice of ``_work/ingested`` rows; the DAG maps one clean task
    over each (Airflow dynamic task mapping), ``clean(shard=None)`` runs them in turn.
    At most ``clean_shards`` shards of at least ``shard_min_docs`` documents.
    """
    work = _work(settings)
    files = sorted(partition_dir(work, "ingested", day).glob("*.parquet"))
    if not files:
        raise FileNotFoundError(
            f"no partition {partition_dir(work, 'ingested', day)}: run the previous stage first"
        )
    docs = _rows(partition_dir(work, "ingested", day))
    n = max(1, min(settings.clean_shards, -(-docs // settings.shard_min_docs)))
    for table in ("cleaned", "rejects_clean"):
        drop_partition(work, table, day)
    for f in partition_dir(work, "stats", day).glob("clean*.json"):
        f.unlink()
    return list(range(n))


def _slice(
    settings: Settings,
    day: str,
    table: str,
    shard: int,
    shards: int,
    *,
    columns: list[str] | None = None,
    batch_size: int = 200,
) -> Iterator[pa.RecordBatch]:
    """Rows ``[N*shard/shards, N*(shard+1)/shards)`` of a day's work partition."""
    files = [
        storage.parquet_file(f)
        for f in sorted(partition_dir(_work(settings), table, day).glob("*.parquet"))
    ]
    total = sum(f.metadata.num_rows for f in files)
    start, stop = total * shard // shards, total * (shard + 1) // shards
    offset = 0
    for f in files:
        for batch in f.iter_batches(batch_size=batch_size, columns=columns):
            lo, hi = max(start - offset, 0), min(stop - offset, batch.num_rows)
            offset += batch.num_rows
            if lo < hi:
                yield batch.slice(lo, hi - lo)
            if offset >= stop:
                return


def _in_shards(
    settings: Settings,
    day: str,
    stage: str,
    plan: Callable[[Settings, str], list[int]],
    one: Callable[[tuple[Settings, str, int, int]], StageResult],
    workers: int,
) -> StageResult:
    """A sharded stage for the whole day in this process, exactly as the DAG's mapped
    tasks run it (so the CLI and Airflow give the same rows): plan the shards under the
    day lock, then run them in up to ``workers`` worker processes."""
    from newsflow.lake.lock import day_lock
    from newsflow.parallel import map_ordered

    started = time.perf_counter()
    with day_lock(settings.lake, day, settings.lock_timeout_seconds):
        shards = plan(settings, day)
        jobs = [(settings, day, s, len(shards)) for s in shards]
        parts = list(map_ordered(one, jobs, workers=min(len(shards), workers)))
    counts = {k: sum(p.counts[k] for p in parts) for k in parts[0].counts}
    seconds = round(time.perf_counter() - started, 3)
    return StageResult(stage, day, parts[0].path, counts, seconds)


def clean(settings: Settings, day: str, shard: int | None = None, shards: int = 1) -> StageResult:
    """``_work/ingested`` -> ``_work/cleaned`` (+ ``_work/rejects_clean``), one file per shard.

    ``shard=None`` cleans the whole day here, shard after shard, exactly as the DAG's
    mapped tasks do in parallel (so the CLI and Airflow give the same rows). That path
    holds the day lock throughout; one shard takes no lock, so a day's shards run at the
    same time (``clean_shards`` planned them under the lock, each writes only its own file).
    """
    if shard is None:
        from newsflow.parallel import effective_workers

        # extraction is CPU-bound: shards run in worker processes, one per core
        workers = effective_workers(settings.workers)
        return _in_shards(settings, day, "clean", clean_shards, _clean_shard, workers)

    from newsflow.clean.guard import BoundedCleaner
    from newsflow.ids import stable_id

    started = time.perf_counter()
    counts = {"documents": 0, "articles": 0, "rejects": 0}
    taken: set[str] = set()
    the_day = _day(day)

    def rows(rejects: _RejectSink, clean_document: BoundedCleaner) -> Iterator[dict]:
        batches = _slice(settings, day, "ingested", shard, shards)
        for rec in (r for b in batches for r in b.to_pylist()):
            counts["documents"] += 1
            doc = RawDoc(**rec)
            try:
                out = clean_document(doc, day=the_day)
            except Exception as e:  # one bad document must not end the run
                log.warning("clean failed for %s: %s", doc.source_uri, e, exc_info=True)
                out = Reject(
                    doc.source_uri, "clean", "clean_error", f"{type(e).__name__}: {e}", doc.raw
                )
            if isinstance(out, Reject):
                counts["rejects"] += 1
                rejects.add(out)
                continue
            if out["article_id"] in taken:
                # the same URL or text twice in one day: keep ids unique; dedup links them
                # (repeats across shards are renamed the same way by _cleaned_batches)
                out["article_id"] = stable_id(out["article_id"], out["source_uri"])
            taken.add(out["article_id"])
            counts["articles"] += 1
            yield out

    work = _work(settings)
    with (
        part_writer(work, "rejects_clean", day, shard, schema.REJECTS) as rw,
        BoundedCleaner(settings) as cleaner,
    ):
        sink = _RejectSink(rw, settings, day)
        batches = _batches(rows(sink, cleaner), schema.CLEANED, 200)
        write_part(work, "cleaned", day, shard, batches, schema.CLEANED)
        sink.flush()
    out = partition_dir(work, "cleaned", day)
    return _finish(StageResult("clean", day, str(out), counts, shard=shard), started, settings)


def _clean_shard(job: tuple[Settings, str, int, int]) -> StageResult:
    """One clean shard (runs in a worker process of ``clean(shard=None)``)."""
    settings, day, shard, shards = job
    return clean(settings, day, shard, shards)


def _cleaned_batches(
    work: Path, day: str, *, columns: list[str] | None = None, batch_size: int = 1_000
) -> Iterator[pa.RecordBatch]:
    """The day's cleaned rows, shard files in order, with ids unique across shards: a
    repeat of an earlier shard's id is renamed as clean renames repeats within a shard,
    so one shard or many give the same ids."""
    from newsflow.ids import stable_id

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


@_locked
def dedup(settings: Settings, day: str) -> StageResult:
    """``_work/cleaned`` -> ``_work/deduped`` + ``_work/duplicates``: URL, exact and
    near-duplicate copies, also of earlier days' articles within the horizon.

    Texts are read in batches and only their MinHash signatures are kept (~500 bytes
    per article with the defaults), so memory grows with the number of articles, not
    with their length. The day's representatives' bands and signatures go to
    ``_work/minhash*``; ``publish`` moves them into the cross-day index.
    """
    import numpy as np

    from newsflow.dedup import Candidate, deduplicate, minhash, near
    from newsflow.lake import query

    started = time.perf_counter()
    work = _work(settings)
    the_day = _day(day)
    params = minhash_params(settings)
    rule = near.NearRule(settings.dedup_near_jaccard, settings.dedup_near_containment)
    horizon = settings.dedup_horizon_days
    cols = ["article_id", "canonical_url", "content_hash", "published_at", "word_count", "text"]
    metas: list[Candidate] = []
    sig_parts: list[np.ndarray] = [np.empty((0, params.num_perm), np.uint32)]
    size_parts: list[np.ndarray] = [np.empty(0, np.int32)]
    for b in _cleaned_batches(work, day, columns=cols, batch_size=settings.dedup_batch_size):
        d = b.to_pydict()
        if settings.dedup_near:
            s, z = minhash.signatures(d["text"], params)
            sig_parts.append(s)
            size_parts.append(z)
        metas.extend(Candidate(*row) for row in zip(*(d[c] for c in cols[:-1]), strict=True))
    # canonical order (by id): pairs, clusters and files do not depend on input order
    order = sorted(range(len(metas)), key=lambda k: metas[k].article_id)
    today = [metas[k] for k in order]
    ids = [c.article_id for c in today]
    edges: list[tuple[str, str]] = []
    old: dict[str, tuple[np.ndarray, int]] = {}
    if settings.dedup_near:
        sig = np.concatenate(sig_parts)[order]
        sizes = np.concatenate(size_parts)[order]
        del sig_parts, size_parts
        bands = minhash.band_hashes(sig, params)
        i, j, _ = near.pairs_within(sig, sizes, bands, rule)
        edges = [(ids[a], ids[b]) for a, b in zip(i.tolist(), j.tolist(), strict=True)]
        t_idx, old_ids = query.index_candidates(
            settings.lake, the_day, horizon_days=horizon, bands=bands
        )
        old = query.index_signatures(
            settings.lake,
            the_day,
            horizon_days=horizon,
            ids=set(old_ids),
            num_perm=params.num_perm,
        )
        if old:
            names = sorted(old)
            pos = {a: k for k, a in enumerate(names)}
            keep = np.array([a in pos for a in old_ids], bool)
            o_idx = np.array([pos[a] for a in old_ids if a in pos], np.int64)
            o_sig = np.stack([old[a][0] for a in names])
            o_size = np.array([old[a][1] for a in names], np.int32)
            a, b, _ = near.pairs_across(sig, sizes, t_idx[keep], o_sig, o_size, o_idx, rule)
            edges += [(ids[x], names[y]) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    else:
        sig = np.empty((len(today), params.num_perm), np.uint32)
        sizes = np.zeros(len(today), np.int32)
        bands = np.empty((len(today), 0), np.int64)
    row_of = {a: k for k, a in enumerate(ids)}
    earlier = query.earlier_representatives(
        settings.lake,
        the_day,
        horizon_days=horizon,
        urls={c.canonical_url for c in today if c.canonical_url},
        hashes={c.content_hash for c in today},
        ids={b for _, b in edges if b not in row_of},
    )

    def signature_of(a: str) -> np.ndarray | None:
        if a in row_of and settings.dedup_near:
            return sig[row_of[a]]
        return old[a][0] if a in old else None

    def similarity(a: str, b: str) -> float | None:
        sa, sb = signature_of(a), signature_of(b)
        return None if sa is None or sb is None else float((sa == sb).mean())

    assignment, dups = deduplicate(today, earlier, day=the_day, near=edges, similarity=similarity)

    def rows() -> Iterator[pa.RecordBatch]:
        for batch in _cleaned_batches(work, day, batch_size=1_000):
            bids = batch.column("article_id").to_pylist()
            cluster, is_dup, dup_of = (
                zip(*(assignment[i] for i in bids), strict=True) if bids else ((), (), ())
            )
            t = pa.Table.from_batches([batch])
            t = t.append_column("dedup_cluster_id", pa.array(cluster, pa.string()))
            t = t.append_column("is_duplicate", pa.array(is_dup, pa.bool_()))
            t = t.append_column("duplicate_of", pa.array(dup_of, pa.string()))
            yield t.select(schema.DEDUPED.names)

    out = write_partition(work, "deduped", day, rows(), schema.DEDUPED)
    write_partition(
        work,
        "duplicates",
        day,
        [pa.Table.from_pylist([asdict(d) for d in dups], schema.DUPLICATES)],
        schema.DUPLICATES,
    )
    # the day's representatives, for the cross-day index (publish moves them to _state)
    reps = np.array([not assignment[a][1] for a in ids], bool) & settings.dedup_near
    rep_ids = pa.array([a for a, r in zip(ids, reps.tolist(), strict=True) if r], pa.string())
    nb = bands.shape[1]
    write_partition(
        work,
        "minhash",
        day,
        [
            pa.table(
                {
                    "article_id": pa.array(np.repeat(rep_ids.to_numpy(False), nb), pa.string())
                    if len(rep_ids)
                    else pa.array([], pa.string()),
                    "band": np.tile(np.arange(nb, dtype=np.int16), len(rep_ids)),
                    "bucket": bands[reps].reshape(-1),
                }
            )
        ],
        schema.MINHASH_BANDS,
    )
    rep_sig = np.ascontiguousarray(sig[reps])
    write_partition(
        work,
        "minhash_signatures",
        day,
        [
            pa.table(
                {
                    "article_id": rep_ids,
                    "shingles": sizes[reps],
                    "signature": pa.array([r.tobytes() for r in rep_sig], pa.binary()),
                }
            )
        ],
        schema.MINHASH_SIGNATURES,
    )
    counts = {
        "articles": len(assignment),
        "duplicates": len(dups),
        "by_url": sum(d.method == "url" for d in dups),
        "exact": sum(d.method == "exact" for d in dups),
        "near": sum(d.method == "near" for d in dups),
        "of_earlier_days": sum(d.duplicate_of_dt != the_day for d in dups),
    }
    return _finish(StageResult("dedup", day, str(out), counts), started, settings)


def story_params(settings: Settings):
    """The story model's weights from the settings (shared with benchmarks/stories.py)."""
    from newsflow.stories import StoryParams

    return StoryParams(
        weight_text=settings.story_weight_text,
        weight_people=settings.story_weight_people,
        weight_orgs=settings.story_weight_orgs,
        weight_places=settings.story_weight_places,
        year_penalty=settings.story_year_penalty,
        bias=settings.story_bias,
        threshold=settings.story_threshold,
        cross_language_text=settings.story_cross_language_text,
        window_days=settings.story_window_days,
    )


def minhash_params(settings: Settings):
    """The MinHash shape from the settings (one place, so dedup and benchmarks agree)."""
    from newsflow.dedup.minhash import MinHashParams

    return MinHashParams(
        num_perm=settings.dedup_num_perm,
        bands=settings.dedup_bands,
        shingle_words=settings.dedup_shingle_words,
    )


@_locked
def tag_shards(settings: Settings, day: str) -> list[int]:
    """Plan the day's tag shards and clear what an earlier run of tag left.

    A shard is a contiguous slice of ``_work/deduped`` rows; the DAG maps one tag task
    over each, so NER (the costly stage) spreads over every Celery worker. At most
    ``tag_shards`` shards of at least ``tag_shard_min_articles`` rows.
    """
    work = _work(settings)
    folder = partition_dir(work, "deduped", day)
    if not any(folder.glob("*.parquet")):
        raise FileNotFoundError(f"no partition {folder}: run the previous stage first")
    n = max(1, min(settings.tag_shards, _rows(folder) // settings.tag_shard_min_articles))
    drop_partition(work, "entities", day)
    for f in partition_dir(work, "stats", day).glob("tag*.json"):
        f.unlink()
    return list(range(n))


def tag(settings: Settings, day: str, shard: int | None = None, shards: int = 1) -> StageResult:
    """``_work/deduped`` -> ``_work/entities``, one file per shard; duplicates are not
    tagged again.

    ``shard=None`` tags the whole day here, its shards in worker processes (one per core
    on a day of at least ``ner_parallel_min_articles``); one shard takes no lock, so the
    DAG's mapped tag tasks run at the same time, on one worker or many.
    """
    if shard is None:
        from newsflow.entities.tagger import processes

        deduped = _rows(partition_dir(_work(settings), "deduped", day))
        workers = processes(
            settings.ner_processes, deduped, min_articles=settings.ner_parallel_min_articles
        )
        return _in_shards(settings, day, "tag", tag_shards, _tag_shard, workers)

    started = time.perf_counter()
    counts = {"articles_tagged": 0, "mentions": 0, "normalise_errors": 0}
    cols = ["article_id", "text", "is_duplicate"]

    def texts() -> Iterator[tuple[str, str]]:
        for batch in _slice(settings, day, "deduped", shard, shards, columns=cols):
            for r in batch.to_pylist():
                if not r["is_duplicate"]:
                    yield r["article_id"], r["text"]

    work = _work(settings)
    rows = mention_rows(settings, texts(), counts)
    write_part(
        work, "entities", day, shard, _batches(rows, schema.ENTITIES, 2_000), schema.ENTITIES
    )
    out = partition_dir(work, "entities", day)
    return _finish(StageResult("tag", day, str(out), counts, shard=shard), started, settings)


def mention_rows(
    settings: Settings, pairs: Iterator[tuple[str, str]], counts: dict[str, int]
) -> Iterator[dict]:
    """Entity rows (``schema.ENTITIES``) of ``(article_id, text)`` pairs: NER, then the
    entity keys; tag and the repair of a later day's promoted copies share it."""
    from newsflow.entities import Mention, normalise
    from newsflow.entities import tag as ner

    ids: list[str] = []
    text_by_id: dict[str, str] = {}

    def feed() -> Iterator[str]:
        for aid, text in pairs:
            ids.append(aid)
            text_by_id[aid] = text
            yield text

    spans_iter = ner(
        feed(),
        model=settings.spacy_model,
        batch_size=settings.ner_batch_size,
        max_chars=settings.ner_max_chars,
    )
    for n, spans in enumerate(spans_iter):
        aid = ids[n]
        text = text_by_id.pop(aid)
        counts["articles_tagged"] += 1
        try:
            mentions = normalise(text, spans)
        except Exception as e:  # one odd text must not end the run: keep the raw spans
            log.warning("normalise failed for %s: %s", aid, e, exc_info=True)
            counts["normalise_errors"] += 1
            mentions = [Mention(s, e_, text[s:e_], lb, text[s:e_]) for s, e_, lb in spans]
        for m in mentions:
            counts["mentions"] += 1
            yield {
                "article_id": aid,
                "start": m.start,
                "end": m.end,
                "text": m.text,
                "label": m.label,
                "entity_key": m.entity_key,
                "country": m.country,
            }


def _tag_shard(job: tuple[Settings, str, int, int]) -> StageResult:
    """One tag shard (runs in a worker process of ``tag(shard=None)``)."""
    settings, day, shard, shards = job
    return tag(settings, day, shard, shards)


SHARD_PLANS: dict[str, Callable[[Settings, str], list[int]]] = {
    "clean": clean_shards,
    "tag": tag_shards,
}


def _rows(folder: Path) -> int:
    """Rows of a partition, from the Parquet footers (nothing else is read)."""
    return sum(storage.parquet_file(f).metadata.num_rows for f in folder.glob("*.parquet"))


def _story_ids(settings: Settings, day: str) -> dict[str, str]:
    """``{article_id: story_id}`` for every article of the day.

    Originals are clustered (``stories.cluster_stories``); a copy joins its original's
    story, from today or from the day the original was published; an article in no
    story gets one of its own. Only the originals' texts and story keys are held, and
    rows become Python objects a batch at a time (a whole day's entities as dicts would
    take gigabytes at 100k articles).
    """
    from newsflow.lake.query import story_of_earlier
    from newsflow.stories import StoryInput, cluster_stories, story_key

    work = _work(settings)
    keys: dict[str, set[str]] = {}
    ent_cols = ["article_id", "entity_key", "label", "country"]
    for batch in iter_partition(work, "entities", day, columns=ent_cols, batch_size=50_000):
        for r in batch.to_pylist():
            k = story_key(r["entity_key"], r["label"], r["country"])
            if k:
                # one string per distinct key, not one per mention (~0.1 GB at 100k)
                keys.setdefault(r["article_id"], set()).add(sys.intern(k))
    # one pass: the originals become story inputs; every row's id and original is kept
    ids: list[str] = []
    dup_of: list[str | None] = []
    reps: list[StoryInput] = []
    cols = ["article_id", "published_at", "is_duplicate", "duplicate_of", "text", "language"]
    for batch in iter_partition(work, "deduped", day, columns=cols, batch_size=5_000):
        for r in batch.to_pylist():
            ids.append(r["article_id"])
            dup_of.append(r["duplicate_of"])
            if not r["is_duplicate"]:
                reps.append(
                    StoryInput(
                        r["article_id"],
                        r["published_at"],
                        frozenset(keys.get(r["article_id"], ())),
                        r["text"],
                        r["language"],
                    )
                )
    del keys
    story = cluster_stories(reps, story_params(settings))
    del reps
    story.update(story_of_earlier(settings.lake, {d for d in dup_of if d and d not in story}))
    return {
        a: (story.get(d) if d else story.get(a)) or stable_story(a)
        for a, d in zip(ids, dup_of, strict=True)
    }


# The published tables that are a sorted or aggregated view of the work files, as DuckDB
# queries: DuckDB sorts out of core, so publish never holds a day's texts or entities.
_ARTICLES_SQL = """
    SELECT {columns} FROM read_parquet($deduped, hive_partitioning = false) d
    LEFT JOIN stories s USING (article_id)
    ORDER BY d.source, d.published_at, d.article_id"""
_ENTITIES_SQL = """
    SELECT * FROM read_parquet($entities, hive_partitioning = false)
    ORDER BY article_id, start"""
_ENTITY_COUNTS_SQL = """
    SELECT entity_key, label, count(DISTINCT article_id)::BIGINT AS articles,
           count(*)::BIGINT AS mentions
    FROM read_parquet($entities, hive_partitioning = false)
    WHERE article_id NOT IN (
        SELECT article_id FROM read_parquet($deduped, hive_partitioning = false)
        WHERE is_duplicate)
    GROUP BY entity_key, label
    ORDER BY articles DESC, mentions DESC, entity_key, label  -- a total order: same bytes"""


@_locked
def publish(settings: Settings, day: str) -> StageResult:
    """Stories, then the public tables and the manifest, each swapped in atomically.

    Memory is bounded by the story step (the originals' texts and keys) and DuckDB's
    ``publish_memory_mb``: the tables stream from the work files to the lake.
    """
    from newsflow.lake.manifest import write_manifest

    started = time.perf_counter()
    work, lake = _work(settings), settings.lake
    done = _already_published(settings, day)
    if done is not None:
        return done
    story_of = _story_ids(settings, day)
    stories = pa.table(
        {"article_id": list(story_of), "story_id": list(story_of.values())},
        schema=pa.schema([("article_id", pa.string()), ("story_id", pa.string())]),
    )
    files = {
        t: [storage.uri(f) for f in partition_files(work, t, day)] for t in ("deduped", "entities")
    }
    rg = settings.row_group_size

    def query(sql: str) -> Iterator[pa.RecordBatch]:
        return storage.query_batches(
            lake,
            sql,
            {k: v for k, v in files.items() if f"${k}" in sql},  # DuckDB wants exactly these
            tables={"stories": stories},
            batch_size=rg,
            memory_mb=settings.publish_memory_mb,
        )

    columns = ", ".join(
        "s.story_id" if c == "story_id" else f'd."{c}"' for c in schema.ARTICLES.names
    )
    rejects = itertools.chain.from_iterable(
        _byte_batches(work, t, day, settings.reject_batch_bytes, rg)
        for t in ("rejects_ingest", "rejects_clean")
    )
    duplicates = iter_partition(work, "duplicates", day, batch_size=rg)
    out = {
        "articles": (query(_ARTICLES_SQL.format(columns=columns)), schema.ARTICLES),
        "entities": (query(_ENTITIES_SQL), schema.ENTITIES),
        "duplicates": (duplicates, schema.DUPLICATES),
        "rejects": (rejects, schema.REJECTS),
        "entity_counts": (query(_ENTITY_COUNTS_SQL), schema.ENTITY_COUNTS),
    }
    written = {
        table: write_partition(lake, table, day, batches, sch, row_group_size=rg, swap=False)
        for table, (batches, sch) in out.items()
    }
    index_swaps = publish_index(settings, day)
    counts = {t: _rows(written[t]) for t in ("articles", "duplicates", "entities", "rejects")}
    counts["stories"] = len(set(story_of.values()))
    result = StageResult("publish", day, str(partition_dir(lake, "articles", day)), counts)
    _finish(result, started, settings)
    # every table and the manifest go live together (a crash mid-way is rolled forward)
    manifest_tmp = storage.lake_path(lake) / "_tmp" / f"manifest.dt={day}.{os.getpid()}.json"
    manifest = write_manifest(
        settings, day, written, stats_dir=partition_dir(work, "stats", day), out_file=manifest_tmp
    )
    swaps = [(tmp, partition_dir(lake, t, day)) for t, tmp in written.items()]
    swaps.extend(index_swaps)
    swaps.append((manifest_tmp, partition_dir(lake, "_runs", day) / "manifest.json"))
    # the work files go in the same journal: a kill while removing them is rolled forward
    _repair_later_days(settings, day, written["articles"])  # before the day goes live
    publish_atomically(lake, day, swaps, drop=[partition_dir(work, t, day) for t in WORK_TABLES])
    _prune_raw_rejects(settings, day)
    _write_report(settings, day)
    if not manifest["checks"]["inputs_accounted_for"]:
        raise RuntimeError(f"{day}: inputs != articles + rejects; see {manifest['path']}")
    return result


def _already_published(settings: Settings, day: str) -> StageResult | None:
    """A no-op result when ``day`` is published and no work files wait for publish (a
    repeated publish, or one after a kill during the work files' cleanup); else None."""
    work = _work(settings)
    manifest = partition_dir(settings.lake, "_runs", day) / "manifest.json"
    if any(partition_dir(work, t, day).exists() for t in WORK_TABLES) or not manifest.is_file():
        return None
    counts = dict(json.loads(manifest.read_text())["counts"])
    counts["no_op"] = 1
    log.info("publish %s: already published and no work files: nothing to do (no-op)", day)
    _repair_later_days(settings, day)  # cheap when nothing points at a lost article
    return StageResult("publish", day, str(partition_dir(settings.lake, "articles", day)), counts)


def _repair_later_days(settings: Settings, day: str, articles: Path | None = None) -> None:
    """Later days' copies of articles ``day`` no longer has are promoted or relinked: the
    one deliberate edit of other days' partitions (see ``newsflow.repair``)."""
    from newsflow.repair import repair_later_days

    repair_later_days(settings, day, articles)


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
    """The day's HTML report. It is derived from the tables just published, so a
    failure here is logged, not raised: the data is complete and ``newsflow report``
    rebuilds the report at any time."""
    from newsflow.report import write_report

    started = time.perf_counter()
    try:
        path = write_report(settings.lake, day)
    except Exception as e:  # the report must never cost the day's data
        log.warning("report %s: not written (%s: %s)", day, type(e).__name__, e, exc_info=True)
        return
    log.info("report %s: wrote %s in %.2fs", day, path, time.perf_counter() - started)


def publish_index(settings: Settings, day: str) -> list[tuple[Path, Path]]:
    """Write the day's MinHash bands and signatures for the cross-day index.

    Each is one partition of ``LAKE/_state/<table>/dt=<day>``, written to scratch and
    returned as (scratch, final) for ``publish_atomically`` to swap in with the day's
    tables: re-running a day replaces only its own part of the index, and a day that
    never reached publish is not in it.
    """
    from newsflow.lake.query import INDEX_BANDS, INDEX_SIGNATURES, STATE

    work, state = _work(settings), storage.lake_path(settings.lake) / STATE
    swaps = []
    for table, sch in (
        (INDEX_BANDS, schema.MINHASH_BANDS),
        (INDEX_SIGNATURES, schema.MINHASH_SIGNATURES),
    ):
        name = "minhash" if table == INDEX_BANDS else "minhash_signatures"
        batches = iter_partition(work, name, day, batch_size=50_000)
        tmp = write_partition(state, table, day, batches, sch, swap=False)
        swaps.append((tmp, partition_dir(state, table, day)))
    return swaps


def stable_story(article_id: str) -> str:
    from newsflow.ids import stable_id

    return stable_id("story", article_id)


STAGE_FUNCS: dict[str, Callable[[Settings, str], StageResult]] = {
    "ingest": ingest,
    "clean": clean,
    "dedup": dedup,
    "tag": tag,
    "publish": publish,
}


def run(settings: Settings, day: str, stages: tuple[str, ...] = STAGES) -> list[StageResult]:
    """Run ``stages`` for ``day`` in order, in this process, exactly as the DAG does."""
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stages {sorted(unknown)}; choose from {STAGES}")
    from newsflow.lake.lock import day_lock

    with day_lock(settings.lake, day, settings.lock_timeout_seconds):
        return [STAGE_FUNCS[s](settings, day) for s in STAGES if s in stages]
