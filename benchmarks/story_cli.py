"""ECB+ all at once through ``newsflow run``: the published ``story_id`` against ECB+'s
stories, the way a user would measure it.

The ECB+ file (``../shared/eval/story_clusters/ecbplus_stories.jsonl``) goes, as it
is, into a temporary inbox as one day's JSONL; ``newsflow run`` cleans, deduplicates,
tags and clusters it; each published article is matched back to its ECB+ line by its
``source_uri`` (``…jsonl#L<n>``). An ECB+ document the pipeline rejected counts as a
story of its own. Pairwise P/R/F1 and B-cubed over all documents, the odd topics (the
story weights were tuned on them) and the even topics (held out).

    .venv/bin/python benchmarks/story_cli.py [--out FILE]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _ecb_cache import ECB, load_ecb, scores  # noqa: E402
from story_stream import _cell, put_section  # noqa: E402

DAY = "2024-01-10"


def run(root: Path) -> tuple[dict[int, str], float]:
    """({ECB+ line number: story_id}, seconds) after one ``newsflow run``."""
    (root / "inbox" / DAY).mkdir(parents=True)
    shutil.copy(ECB, root / "inbox" / DAY / ECB.name)
    cli = Path(sys.executable).with_name("newsflow")
    t0 = time.perf_counter()
    subprocess.run(
        [
            str(cli),
            "run",
            "--inbox",
            str(root / "inbox"),
            "--lake",
            str(root / "lake"),
            "--day",
            DAY,
        ],
        check=True,
        capture_output=True,
    )
    secs = time.perf_counter() - t0
    rows = duckdb.sql(
        f"SELECT source_uri, story_id FROM read_parquet('{root}/lake/articles/dt=*/*.parquet')"
    ).fetchall()
    return {int(u.rsplit("#L", 1)[1]): s for u, s in rows}, secs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="write the Markdown section here")
    args = ap.parse_args(argv)

    docs = load_ecb()
    with tempfile.TemporaryDirectory() as tmp:
        got, secs = run(Path(tmp))
    gold = docs.story_id.to_numpy()
    topic = docs.topic_id.astype(int).to_numpy()
    pred = np.array([got.get(k + 1, f"rejected:{k}") for k in range(len(docs))])
    lines = ["| subset | pairwise P / R / F1 | B-cubed P / R / F1 |", "|---|---|---|"]
    for label, mask in (
        ("odd topics (tune)", topic % 2 == 1),
        ("even topics (held out)", topic % 2 == 0),
        ("all", np.ones(len(docs), bool)),
    ):
        lines.append(f"| {label} | {_cell(scores(gold[mask], pred[mask]))} |")
    report = f"""## ECB+ all at once through `newsflow run`

The ECB+ file as one day's JSONL inbox, one `newsflow run` ({secs:.0f} s): {len(docs)}
documents, {len(got)} published ({len(docs) - len(got)} rejected by clean, each scored as a
story of its own), {len(set(got.values()))} stories.

{chr(10).join(lines)}

Command: `.venv/bin/python benchmarks/story_cli.py --out FILE`
"""
    print(report)
    if args.out:
        put_section(args.out, "## ECB+ all at once through", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
