"""Clean and tag in shards (the DAG's mapped tasks): any shard count gives the same lake."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from newsflow import stages
from newsflow.config import load_settings
from support import SAMPLE

DAY = "2024-05-14"
TABLES = ("articles", "entities", "duplicates", "rejects", "entity_counts")


def _run(inbox: Path, lake: Path, shards: int) -> dict[str, pd.DataFrame]:
    s = load_settings(
        inbox=str(inbox),
        lake=str(lake),
        clean_shards=shards,
        shard_min_docs=1,
        tag_shards=shards,
        tag_shard_min_articles=1,
        # several shards: tag them in two worker processes, as a big day does
        ner_processes=1 if shards == 1 else 2,
    )
    stages.run(s, DAY)
    return {t: pd.read_parquet(lake / t / f"dt={DAY}") for t in TABLES}


@pytest.fixture(scope="module")
def one_and_three(tmp_path_factory) -> tuple[Path, Path]:
    """The sample corpus plus two pages sharing one URL, put in different shards."""
    inbox = tmp_path_factory.mktemp("inbox")
    shutil.copytree(SAMPLE / "inbox" / DAY, inbox / DAY)
    body = "<html><body><article><p>{}</p></article></body></html>"
    text = " ".join(f"Word{i} number {i} of a long enough story." for i in range(30))
    for name in ("aaa-first.html", "zzz-last.html"):
        (inbox / DAY / name).write_text(body.format(f"{name}: {text}"))
        (inbox / DAY / name.replace(".html", ".json")).write_text(
            json.dumps({"url": "https://example.org/news/same-url"})
        )
    return inbox, tmp_path_factory.mktemp("lakes")


@pytest.mark.slow
def test_three_shards_equal_one(one_and_three) -> None:
    inbox, lakes = one_and_three
    one = _run(inbox, lakes / "one", 1)
    three = _run(inbox, lakes / "three", 3)
    for t in TABLES:
        pd.testing.assert_frame_equal(one[t], three[t], check_like=False, obj=t)
    a = three["articles"]
    assert a.article_id.is_unique
    same = a[a.url == "https://example.org/news/same-url"]
    assert len(same) == 2 and same.article_id.nunique() == 2
    m = json.loads((lakes / "three" / "_runs" / f"dt={DAY}" / "manifest.json").read_text())
    assert m["stages"]["clean"]["shards"] == 3
    assert m["stages"]["tag"]["shards"] == 3
    tag = m["stages"]["tag"]["counts"]
    untagged = sum(n for k, n in tag.items() if k.startswith("untagged_"))
    # every original once, no duplicate: tagged, or counted under its language
    assert tag["articles_tagged"] + untagged == (~a.is_duplicate).sum()
    assert untagged == (~a.is_duplicate & (a.language != "en")).sum() > 0
    assert (
        m["stages"]["clean"]["counts"]["documents"] == m["stages"]["ingest"]["counts"]["documents"]
    )
    assert m["checks"]["inputs_accounted_for"]


@pytest.mark.slow
def test_plan_clears_stale_shards(tmp_path: Path) -> None:
    s = load_settings(
        inbox=str(SAMPLE / "inbox"), lake=str(tmp_path), clean_shards=4, shard_min_docs=20
    )
    stages.run(s, DAY, ("ingest",))
    plan = stages.plan(s, DAY, "clean")
    assert plan == [0, 1, 2]  # 57 documents, at least 20 a shard
    for shard in plan:
        stages.run_shard(s, DAY, "clean", shard, len(plan))
    cleaned = tmp_path / "_work" / "cleaned" / f"dt={DAY}"
    assert len(list(cleaned.glob("*.parquet"))) == 3
    s1 = s.model_copy(update={"clean_shards": 1})
    assert stages.plan(s1, DAY, "clean") == [0]
    assert not cleaned.exists()  # the old shards are gone before the new clean runs


@pytest.mark.slow
def test_tag_plan_clears_stale_shards(tmp_path: Path) -> None:
    s = load_settings(
        inbox=str(SAMPLE / "inbox"), lake=str(tmp_path), tag_shards=8, tag_shard_min_articles=15
    )
    stages.run(s, DAY, ("ingest", "clean", "dedup"))
    plan = stages.plan(s, DAY, "tag")
    assert plan == [0, 1, 2]  # 45 deduped rows, at least 15 a shard
    for shard in plan:
        stages.run_shard(s, DAY, "tag", shard, len(plan))
    entities = tmp_path / "_work" / "entities" / f"dt={DAY}"
    stats = tmp_path / "_work" / "stats" / f"dt={DAY}"
    assert len(list(entities.glob("*.parquet"))) == 3
    assert len(list(stats.glob("tag-*.json"))) == 3
    assert stages.plan(s.model_copy(update={"tag_shards": 1}), DAY, "tag") == [0]
    assert not entities.exists() and not list(stats.glob("tag*.json"))


def test_clean_before_ingest_is_a_clear_error(tmp_path: Path) -> None:
    s = load_settings(inbox=str(SAMPLE / "inbox"), lake=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="run the previous stage first"):
        stages.run(s, DAY, ("clean",))
