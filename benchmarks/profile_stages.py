"""Profile the pipeline's stages with pyinstrument on a generated benchmark corpus.

    .venv/bin/python benchmarks/profile_stages.py --n 10000 [--stages clean tag publish]

Runs the day's stages in this process, one after the other, on the corpus that
``benchmarks/pipeline.py`` generates (``benchmarks/.cache/pipeline/<n>``), and writes for
each profiled stage a small text summary to ``benchmarks/results/profile-<stage>.txt``:
the hottest functions by own time (flat) and the call tree down to 2% of the time.

Everything runs in one process so the profiler sees the work: clean profiles one shard
of ``--clean-docs`` documents (every shard does the same per-document work), and tag
runs spaCy in this process (``ner_processes=1``) on the first ``--tag-docs`` articles
(the per-article work is the same whatever the day's size; two processes halve wall
time, not the work). Stages that are not profiled still run, unprofiled, to produce
the next stage's input.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pipeline import CACHE, DAY  # noqa: E402


def _summary(profiler, stage: str, note: str, seconds: float) -> str:
    flat = profiler.output_text(
        unicode=False, color=False, flat=True, time="percent_of_total", short_mode=True
    )
    tree = profiler.output_text(
        unicode=False,
        color=False,
        time="percent_of_total",
        processor_options={"filter_threshold": 0.02},
    )
    top = "\n".join(flat.splitlines()[:40])
    return (
        f"# pyinstrument profile: {stage}\n# {note}\n# wall {seconds:.1f} s\n\n"
        f"## hottest functions (own time, % of total)\n{top}\n\n"
        f"## call tree (frames >= 2% of total)\n{tree}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=10_000, help="corpus size (generated if missing)")
    ap.add_argument("--stages", nargs="+", default=["clean", "tag", "stories", "publish"])
    ap.add_argument("--clean-docs", type=int, default=2_000)
    ap.add_argument("--tag-docs", type=int, default=1_000)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()

    from newsflow import stages
    from newsflow.config import Settings
    from pipeline_corpus import generate, write_inbox
    from pyinstrument import Profiler

    root = CACHE / str(args.n)
    inbox = root / "inbox"
    if not (inbox / DAY).exists():
        write_inbox(generate(args.n), inbox, DAY)
    lake = root / "lake-profile"
    shutil.rmtree(lake, ignore_errors=True)
    settings = Settings(inbox=str(inbox), lake=str(lake))
    args.out.mkdir(parents=True, exist_ok=True)

    def profiled(stage: str, note: str, fn) -> None:
        profiler = Profiler(interval=0.005)
        started = time.perf_counter()
        profiler.start()
        fn()
        profiler.stop()
        seconds = time.perf_counter() - started
        text = _summary(profiler, stage, note, seconds)
        (args.out / f"profile-{stage}.txt").write_text(text)
        print(f"{stage}: {seconds:.1f} s -> {args.out / f'profile-{stage}.txt'}")

    stages.run(settings, DAY, ("ingest",))
    # clean: one shard in this process, then the whole day (unprofiled, in workers)
    stages.plan(settings, DAY, "clean")
    shards = max(1, args.n // args.clean_docs)
    if "clean" in args.stages:
        profiled(
            "clean",
            f"one shard of {args.n // shards} of {args.n} generated pages, one process",
            lambda: stages.run_shard(settings, DAY, "clean", 0, shards),
        )
    stages.run(settings, DAY, ("clean", "dedup"))
    if "tag" in args.stages:
        # tag only the first --tag-docs articles: a copy of the day's deduped rows, cut
        small = root / "lake-profile-tag"
        shutil.rmtree(small, ignore_errors=True)
        shutil.copytree(lake, small)
        _truncate(Path(small) / "_work" / "deduped" / f"dt={DAY}", args.tag_docs)
        s1 = Settings(inbox=str(inbox), lake=str(small), ner_processes=1)
        profiled(
            "tag",
            f"first {args.tag_docs} of {args.n} articles' rows, spaCy in one process",
            lambda: stages.run(s1, DAY, ("tag",)),
        )
        shutil.rmtree(small, ignore_errors=True)
    stages.run(settings, DAY, ("tag",))
    for stage in ("stories", "publish"):
        if stage in args.stages:
            profiled(
                stage,
                f"the whole day of {args.n} generated pages",
                lambda stage=stage: stages.run(settings, DAY, (stage,)),
            )
        else:
            stages.run(settings, DAY, (stage,))


def _truncate(folder: Path, rows: int) -> None:
    """Keep the first ``rows`` rows of the Parquet partition in ``folder``."""
    import pyarrow.parquet as pq

    files = sorted(folder.glob("*.parquet"))
    table = pq.read_table(files[0]) if len(files) == 1 else pq.read_table(folder)
    for f in files:
        f.unlink()
    pq.write_table(table.slice(0, rows), folder / "part-0.parquet")


if __name__ == "__main__":
    main()
