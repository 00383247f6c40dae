"""What the tests share: where the checkout and its neighbours are, and small helpers.

The seeds and eval sets live in ``../shared`` beside the checkout (as in CI) and are never
copied into the repo; tests that need them carry the ``shared`` marker and are skipped, all
with the one reason below, on a clone with nothing beside it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "include" / "newsflow" / "sample"
SAMPLE_DAY = "2024-05-14"
SAMPLE_INBOX = SAMPLE / "inbox" / SAMPLE_DAY
# the seeds' twin in the sample corpus (story S9): AP on a content farm, and a site's page
FARM = "world-summit-ottawa.txt"
PAIR = (FARM, "ottawa-summit-minerals.html.gz")
# what the pair's two articles both name (the seeds' "Fumio Kishida, Japan, Vietnam, ...")
PAIR_NAMES = frozenset({"Daniel Fortier", "Mariana Ochoa", "Canada", "Mexico", "Ottawa"})
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
EVAL = SHARED / "eval"
KYODO = "000_01638b97d7454a78.txt"
AP_FARM = "004_f3e5de36bab17072.txt"

HAS_SHARED = SEEDS.is_dir() and EVAL.is_dir()
NO_SHARED = "../shared (seeds, eval sets) is not beside the checkout"

# Figures that end-to-end tests measure (seconds, counts), printed after the run.
FIGURES: dict[str, dict[str, float]] = {}


def plugin_module(name: str) -> ModuleType:
    """``plugins/<name>.py`` as Airflow imports it: a top-level module of the plugins folder."""
    import importlib
    import sys

    sys.path.insert(0, str(REPO / "plugins"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def lake_files(lake: Path) -> list[str]:
    """Every file in the lake, relative, sorted (to compare reruns)."""
    return sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())


PUBLISHED_TABLES = ("articles", "entities", "duplicates", "rejects", "entity_counts", "stories")


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


def farm_copy_is_clean(farm: pd.Series) -> None:
    """The pair's content-farm copy as published: the AP text from its dateline on, every
    sentence the truth in the sample's expected.json keeps, none of the farm's chrome
    (breadcrumbs, view counter, the crawl's ``Date:``, ratings, link lists), and the crawl
    date not taken for the article's."""
    import pandas as pd

    truth = json.loads((SAMPLE / "expected.json").read_text())["content_farm_txt"]
    assert farm.text.startswith("OTTAWA (AP) —"), farm.text[:200]
    assert all(keep in farm.text for keep in truth["must_keep"])
    assert not any(drop in farm.text for drop in truth["must_drop"])
    assert farm.source == truth["source"] and pd.isna(farm.published_at)


def one_story_two_texts(
    a: pd.DataFrame, lake: Path, day: str, names: set[str] | frozenset[str]
) -> pd.DataFrame:
    """Two reports of one event (the seeds, or the sample pair): one story, two dedup
    clusters (different texts), the day's partition, and ``names`` among each article's
    entities; returns the day's entities."""
    import pandas as pd

    assert a.story_id.nunique() == 1  # one event
    assert a.dedup_cluster_id.nunique() == 2  # two different texts
    assert str(a.ingest_date.iloc[0]) == day
    e = pd.read_parquet(lake / "entities" / f"dt={day}")
    for art_id in a.article_id:
        keys = set(e[e.article_id == art_id].entity_key)
        assert names <= keys, keys
    return e
