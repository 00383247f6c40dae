"""A plain-text summary of one day of the lake, for the CLI and the task logs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb


def days(lake: str | os.PathLike[str]) -> list[str]:
    runs = Path(lake) / "_runs"
    return sorted(p.name[3:] for p in runs.glob("dt=*") if (p / "manifest.json").exists())


def summary(lake: str | os.PathLike[str], day: str, *, top: int = 10) -> str:
    """Counts from the manifest, top entities and sources, and where the files are."""
    lake = Path(lake)
    mpath = lake / "_runs" / f"dt={day}" / "manifest.json"
    if not mpath.exists():
        raise FileNotFoundError(f"no run for {day} in {lake} (missing {mpath})")
    m = json.loads(mpath.read_text())
    c = m["counts"]
    lines = [
        f"newsflow {m['pipeline_version']} — {day}",
        f"  inputs {m['inputs']}  articles {c['articles']}  rejects {c['rejects']}  "
        f"duplicates {c['duplicates']}  entities {c['entities']}",
        f"  inputs == articles + rejects: {m['checks']['inputs_accounted_for']}",
        "  stage timings: " + ", ".join(f"{s} {v['seconds']:.2f}s" for s, v in m["stages"].items()),
    ]
    con = duckdb.connect()
    part = lambda t: str(lake / t / f"dt={day}" / "*.parquet")  # noqa: E731
    stories = con.execute(
        f"SELECT count(DISTINCT story_id), count(DISTINCT dedup_cluster_id) "
        f"FROM read_parquet('{part('articles')}')"
    ).fetchone()
    lines.append(f"  stories {stories[0]}  distinct texts {stories[1]}")
    top_e = con.execute(
        f"SELECT entity_key, label, articles FROM read_parquet('{part('entity_counts')}') "
        f"WHERE label IN ('PERSON','ORG','GPE','LOC','EVENT') ORDER BY articles DESC, mentions DESC, "
        f"entity_key LIMIT {int(top)}"
    ).fetchall()
    lines.append("  top entities: " + "; ".join(f"{k} ({lbl}, {n})" for k, lbl, n in top_e))
    reasons = con.execute(
        f"SELECT split_part(reason, ':', 1) AS code, count(*) FROM read_parquet('{part('rejects')}') "
        f"GROUP BY code ORDER BY 2 DESC, 1"
    ).fetchall()
    if reasons:
        lines.append("  rejects by reason: " + ", ".join(f"{r} {n}" for r, n in reasons))
    lines.append(
        f"  Parquet: {lake}/{{articles,entities,duplicates,rejects,entity_counts}}/dt={day}/"
    )
    return "\n".join(lines)
