"""Near-duplicate benchmark: newsflow's dedup stage vs datatrove's MinHash dedup.

Both run on the same seeded synthetic syndication corpus (``syndication.py``) at each
size, one after the other in this run, each in its own process (so peak memory is
that process's own). Reported: pairwise precision / recall of the clusters against
the corpus's truth, documents per second (one process, one core) and peak RSS.

newsflow runs the real stage (``newsflow.stages.dedup``, under the day's lock) on a ``_work/cleaned``
partition written from the corpus; datatrove runs its four MinHash steps (signatures,
buckets, clusters, filter with cluster ids) with a one-worker local executor, its
default configuration (5-grams, 14 buckets x 8 hashes, xxhash).

    .venv/bin/python benchmarks/dedup.py --sizes 1000,10000,100000 \\
        --out benchmarks/results/dedup.md
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAY = "2024-05-14"


def pairwise(gold: list[str], pred: list[str]) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering, by counting (no pair lists)."""

    def pairs(counter: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counter.values())

    tp = pairs(Counter(zip(gold, pred, strict=True)))
    pred_pairs, gold_pairs = pairs(Counter(pred)), pairs(Counter(gold))
    return tp / max(1, pred_pairs), tp / max(1, gold_pairs)


def write_inputs(n: int, seed: int, folder: Path, reverse: bool = False) -> dict[str, str]:
    """The corpus as a cleaned partition (newsflow) and JSONL (datatrove); id -> gold."""
    import pyarrow as pa
    from newsflow.clean.urls import canonical_url
    from newsflow.ids import content_hash, stable_id
    from newsflow.lake import schema
    from newsflow.lake.partition import write_partition

    sys.path.insert(0, str(HERE))
    from syndication import Generator

    docs = Generator(seed).corpus(n)
    if reverse:
        docs = docs[::-1]
    gold: dict[str, str] = {}
    rows = []
    for d in docs:
        canon = canonical_url(d.url)
        aid = stable_id("url", canon)
        gold[aid] = d.gold
        rows.append(
            {
                "article_id": aid,
                "source_uri": d.doc_id,
                "url": d.url,
                "canonical_url": canon,
                "source": None,
                "title": None,
                "authors": [],
                "published_at": d.published_at,
                "language": "en",
                "text": d.text,
                "word_count": len(d.text.split()),
                "content_hash": content_hash(d.text),
                "ingest_date": d.published_at.date(),
                "pipeline_version": "bench",
            }
        )
    import pyarrow.parquet as pq

    pq.write_table(  # the same texts for datatrove
        pa.table({"id": [r["article_id"] for r in rows], "text": [r["text"] for r in rows]}),
        folder / "corpus.parquet",
    )
    batches = (
        pa.RecordBatch.from_pylist(rows[i : i + 2000], schema=schema.CLEANED)
        for i in range(0, len(rows), 2000)
    )
    write_partition(folder / "lake" / "_work", "cleaned", DAY, batches, schema.CLEANED)
    return gold


def run_newsflow(folder: Path) -> None:
    """(child process) the dedup stage on folder/lake; prints seconds and peak RSS."""
    from newsflow import stages
    from newsflow.config import load_settings

    settings = load_settings(lake=str(folder / "lake"))  # NEWSFLOW_DEDUP_* apply
    before, cpu0 = _rss_mib(), _cpu()
    t0 = time.perf_counter()
    stages.run(settings, DAY, ("dedup",))
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "cpu": _cpu() - cpu0, "peak_mib": _rss_mib(), "before_mib": before}
    print(json.dumps(out))


def run_datatrove(folder: Path) -> None:
    """(child process) datatrove's MinHash dedup pipeline; prints seconds and peak RSS."""
    import logging

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import ParquetReader

    logging.disable(logging.WARNING)
    cfg = MinhashConfig()  # datatrove's defaults: 5-grams, 14 buckets x 8 hashes, xxhash
    w = folder / "dt"
    before, cpu0 = _rss_mib(), _cpu()
    t0 = time.perf_counter()

    def reader():
        return ParquetReader(str(folder), glob_pattern="corpus.parquet", id_key="id")

    def ex(steps, tasks=1):
        LocalPipelineExecutor(
            steps, tasks=tasks, workers=1, logging_dir=str(w / f"logs{len(os.listdir(w))}")
        ).run()

    w.mkdir()
    ex([reader(), MinhashDedupSignature(str(w / "sigs"), config=cfg)])
    ex([MinhashDedupBuckets(str(w / "sigs"), str(w / "buckets"), config=cfg)], cfg.num_buckets)
    ex([MinhashDedupCluster(str(w / "buckets"), str(w / "ids"), config=cfg, save_cluster_id=True)])

    def sink(data, rank: int = 0, world_size: int = 1):
        # every document with its cluster id (-1: no cluster); removed copies are not
        # forwarded by the filter, so their ids come from the .clusters file below
        with open(w / "kept.jsonl", "w", encoding="utf-8") as f:
            for doc in data:
                f.write(json.dumps([doc.id, doc.metadata.get("minhash_cluster_id", -1)]) + "\n")
        yield from ()

    ex([reader(), MinhashDedupFilter(str(w / "ids"), load_cluster_ids=True), sink])
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "cpu": _cpu() - cpu0, "peak_mib": _rss_mib(), "before_mib": before}
    print(json.dumps(out))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mib() -> float:
    """Peak resident set of this process's address space (VmHWM). Unlike ru_maxrss, it
    starts afresh at exec, so the parent's corpus does not count."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(kind: str, folder: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, f"--child-{kind}", str(folder)],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def newsflow_clusters(folder: Path) -> dict[str, str]:
    import pyarrow.parquet as pq
    from newsflow.lake.partition import partition_dir

    t = pq.read_table(
        partition_dir(folder / "lake" / "_work", "deduped", DAY),
        columns=["article_id", "dedup_cluster_id"],
    )
    return dict(zip(*(t.column(c).to_pylist() for c in t.column_names), strict=True))


def datatrove_clusters(folder: Path) -> dict[str, str]:
    """Cluster of every document: the .clusters file (document index, cluster id) of
    datatrove's cluster step, over the input order; documents in none are singletons."""
    import struct

    import pyarrow.parquet as pq

    ids = pq.read_table(folder / "corpus.parquet", columns=["id"]).column("id").to_pylist()
    out = {i: i for i in ids}
    path = folder / "dt" / "ids" / "000000.clusters"
    if path.exists():
        for idx, cid in struct.iter_unpack("<2I", path.read_bytes()):
            out[ids[idx]] = f"c{cid}"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-datatrove", action="store_true", help="skip the baseline")
    ap.add_argument("--out", type=Path, help="write the Markdown report here")
    ap.add_argument("--child-newsflow", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-datatrove", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_newsflow:
        run_newsflow(args.child_newsflow)
        return 0
    if args.child_datatrove:
        run_datatrove(args.child_datatrove)
        return 0

    rows, notes = [], []
    for n in [int(s) for s in args.sizes.split(",")]:
        tmp = Path(tempfile.mkdtemp(prefix=f"dedup-bench-{n}-"))
        try:
            gold = write_inputs(n, args.seed, tmp)
            ids = sorted(gold)
            truth = [gold[i] for i in ids]
            ours = _child("newsflow", tmp)
            pred = newsflow_clusters(tmp)
            p, r = pairwise(truth, [pred[i] for i in ids])
            rows.append(("newsflow dedup stage", n, p, r, ours))
            if not args.no_datatrove:
                theirs = _child("datatrove", tmp)
                dpred = datatrove_clusters(tmp)
                p, r = pairwise(truth, [dpred.get(i, i) for i in ids])
                rows.append(("datatrove MinHash (5-gram, 14x8)", n, p, r, theirs))
            if n <= 10_000:  # same corpus, rows in reverse order: identical clusters?
                rev = Path(tempfile.mkdtemp(prefix=f"dedup-bench-rev-{n}-"))
                try:
                    write_inputs(n, args.seed, rev, reverse=True)
                    _child("newsflow", rev)
                    same = newsflow_clusters(rev) == pred
                    notes.append(f"{n:,} docs, input rows reversed: identical clusters: {same}")
                finally:
                    shutil.rmtree(rev, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(rows[-1], flush=True)

    lines = [
        "| method | docs | pairwise precision | pairwise recall | wall s | CPU s "
        "| docs per CPU-second | peak RSS MiB (before stage) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, n, p, r, m in rows:
        lines.append(
            f"| {name} | {n:,} | {p:.4f} | {r:.4f} | {m['seconds']:.1f} | {m['cpu']:.1f} "
            f"| {n / max(m['cpu'], 1e-9):,.0f} | {m['peak_mib']:.0f} ({m['before_mib']:.0f}) |"
        )
    report = f"""# Near-duplicate detection: newsflow vs datatrove

Corpus: `benchmarks/syndication.py`, seed {args.seed} (originals, republished copies with
new headlines, chrome and ad lines, trimmed endings, edits and typography changes;
hard negatives sharing long boilerplate blocks or written from the same template).
Truth: each original with its copies. Both tools ran in this run, one process each,
on {os.cpu_count()} cores shared with other jobs, so wall time is noisy: throughput is
given per CPU-second of the process (user + system time, single-threaded), which is
what "per core" means here. Peak RSS is the process's maximum resident set; the value
in brackets is before the stage started (interpreter and imports).

{chr(10).join(lines)}

{chr(10).join(f"- {x}" for x in notes)}

Command: `.venv/bin/python benchmarks/dedup.py --sizes {args.sizes} --out {args.out}`
"""
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
