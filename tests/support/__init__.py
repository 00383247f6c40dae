"""What the tests share: where the checkout and its neighbours are, and small helpers.

The seeds and eval sets live in ``../shared`` beside the checkout (as in CI) and are never
copied into the repo; tests that need them carry the ``shared`` marker and are skipped, all
with the one reason below, on a clone with nothing beside it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "include" / "newsflow" / "sample"
SAMPLE_DAY = "2024-05-14"
SAMPLE_INBOX = SAMPLE / "inbox" / SAMPLE_DAY
# the seeds' twin in the sample corpus (story S9): AP on a content farm, and a site's page
FARM = "world-summit-ottawa.txt"
PAIR = (FARM, "ottawa-summit-minerals.html.gz")
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
EVAL = SHARED / "eval"
KYODO = "000_01638b97d7454a78.txt"
AP_FARM = "004_f3e5de36bab17072.txt"

HAS_SHARED = SEEDS.is_dir() and EVAL.is_dir()
NO_SHARED = "../shared (seeds, eval sets) is not beside the checkout"

# Figures that end-to-end tests measure (seconds, counts), printed after the run.
FIGURES: dict[str, dict[str, float]] = {}


def lake_files(lake: Path) -> list[str]:
    """Every file in the lake, relative, sorted (to compare reruns)."""
    return sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())


PUBLISHED_TABLES = ("articles", "entities", "duplicates", "rejects", "entity_counts")


def day_matches_manifest(lake: Path, day: str) -> dict:
    """Assert the published day matches its manifest byte for byte (the same files, each
    with its checksum); return the manifest."""
    manifest = json.loads((lake / "_runs" / f"dt={day}" / "manifest.json").read_text())
    on_disk = {
        p.relative_to(lake).as_posix()
        for t in PUBLISHED_TABLES
        for p in (lake / t / f"dt={day}").glob("*.parquet")
    }
    assert on_disk == set(manifest["files"])
    for rel, meta in manifest["files"].items():
        assert hashlib.sha256((lake / rel).read_bytes()).hexdigest() == meta["sha256"], rel
    return manifest
