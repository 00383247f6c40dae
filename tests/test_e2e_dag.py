"""news_daily end to end with dag.test() (a real Airflow, in-process) on the seed texts
and on their self-written twin from the sample corpus."""

import json
from pathlib import Path

import pandas as pd
import pytest
from support import (
    AP_FARM,
    FARM,
    KYODO,
    PAIR,
    PAIR_NAMES,
    REPO,
    farm_copy_is_clean,
    lake_files,
    one_story_two_texts,
)


@pytest.fixture(scope="module")
def news_daily(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags")).dags["news_daily"]


def _run(dag, conf: dict) -> str:
    dr = dag.test(run_conf=conf)
    return dr.state


def _tries(dag, conf: dict) -> tuple[str, dict[str, tuple[str, int]]]:
    """Run state and {task_id: (state, try_number)}."""
    dr = dag.test(run_conf=conf)
    return dr.state, {ti.task_id: (ti.state, ti.try_number) for ti in dr.get_task_instances()}


@pytest.mark.slow
def test_seeds_end_to_end_and_rerun(news_daily, seed_inbox, tmp_path: Path) -> None:
    inbox, day = seed_inbox
    lake = tmp_path / "lake"
    conf = {"day": day, "inbox": str(inbox), "lake": str(lake)}
    assert _run(news_daily, conf) == "success"

    a = pd.read_parquet(lake / "articles").set_index("source_uri")
    assert sorted(a.index) == [KYODO, AP_FARM]
    ap = a.loc[AP_FARM]
    assert ap.text.startswith("TOKYO (AP) —") and ap.text.endswith("in southern Japan.")
    for chrome in ("Current:Home", "View", "Date:2025", "veryGood", "Ranking", "Recommendation"):
        assert chrome not in ap.text.split("\n")[0] and f"\n{chrome}" not in ap.text
    assert ap.source == "AP" and pd.isna(ap.published_at)
    e = one_story_two_texts(
        a, lake, day, {"Fumio Kishida", "Vo Van Thuong", "Japan", "Vietnam", "China", "Tokyo"}
    )
    asean = e[e.entity_key == "ASEAN"].article_id.unique().tolist()
    assert asean == [a.loc[KYODO, "article_id"]]

    _rerun_changes_nothing(news_daily, conf, lake)


def _rerun_changes_nothing(dag, conf: dict, lake: Path) -> None:
    files = lake_files(lake)
    before = {t: pd.read_parquet(lake / t) for t in ("articles", "entities", "rejects")}
    assert _run(dag, conf) == "success"
    assert lake_files(lake) == files
    for t, df in before.items():
        pd.testing.assert_frame_equal(pd.read_parquet(lake / t), df)


def test_sample_pair_end_to_end_and_rerun(news_daily, pair_inbox, tmp_path: Path) -> None:
    """The seeds' test on their self-written twin (runs without ../shared too): the farm's
    chrome goes, its crawl date is not the article's, one story, two texts."""
    inbox, day = pair_inbox
    lake = tmp_path / "lake"
    conf = {"day": day, "inbox": str(inbox), "lake": str(lake)}
    assert _run(news_daily, conf) == "success"

    a = pd.read_parquet(lake / "articles").set_index("source_uri")
    assert sorted(a.index) == sorted(PAIR)
    farm_copy_is_clean(a.loc[FARM])
    one_story_two_texts(a, lake, day, PAIR_NAMES)
    _rerun_changes_nothing(news_daily, conf, lake)


@pytest.mark.slow
def test_missing_inbox_fails_at_once_and_writes_nothing(news_daily, tmp_path: Path) -> None:
    """No retry can make a missing inbox folder appear: one try, then the run fails (and
    does not hold the next run behind max_active_runs=1 for minutes of retries)."""
    conf = {"day": "2024-01-01", "inbox": str(tmp_path / "none"), "lake": str(tmp_path / "lake")}
    state, tis = _tries(news_daily, conf)
    assert state == "failed"
    assert tis["ingest"] == ("failed", 1)
    assert tis["publish"][0] == "upstream_failed"
    assert not (tmp_path / "lake" / "articles").exists()


@pytest.mark.slow
def test_a_day_decades_back_is_processed_by_logical_date(
    news_daily, pair_inbox, tmp_path: Path
) -> None:
    """`airflow dags test news_daily 1987-10-19`: a run for a day long before any recent
    start_date gets task instances and processes that day (not a green run of nothing)."""
    from datetime import UTC, datetime

    inbox, day = pair_inbox
    old = "1987-10-19"
    (inbox / day).rename(inbox / old)
    lake = tmp_path / "lake"
    dr = news_daily.test(
        logical_date=datetime(1987, 10, 19, tzinfo=UTC),
        # day None: no Day Param (dag.test keeps an earlier test's conf in the DAG's params)
        run_conf={"day": None, "inbox": str(inbox), "lake": str(lake)},
    )
    assert dr.state == "success"
    tis = {ti.task_id: ti.state for ti in dr.get_task_instances()}
    assert set(tis) >= {"ingest", "clean", "dedup", "tag", "stories", "publish"}
    assert len(pd.read_parquet(lake / "articles" / f"dt={old}")) == 2
    manifest = json.loads((lake / "_runs" / f"dt={old}" / "manifest.json").read_text())
    assert manifest["run"] == {"dag_id": "news_daily", "run_id": dr.run_id}
    # the mapped tasks are named after the day they processed and their shard
    labels = sorted(
        (ti.task_id, ti.rendered_map_index)
        for ti in dr.get_task_instances()
        if ti.task_id in ("clean", "tag")
    )
    assert labels == [("clean", f"{old} shard 1/1"), ("tag", f"{old} shard 1/1")]


@pytest.mark.slow
def test_unwritable_lake_fails_publish_then_rerun_after_fix(
    news_daily, pair_inbox, tmp_path: Path
) -> None:
    """The articles table's folder cannot be created (a file sits there, like a read-only or
    full disk would refuse it): publish fails after its retries, no partition and no
    manifest appear; once the obstacle is gone the same run succeeds."""
    inbox, day = pair_inbox
    lake = tmp_path / "lake"
    lake.mkdir()
    blocker = lake / "articles"
    blocker.write_text("not a folder")
    conf = {"day": day, "inbox": str(inbox), "lake": str(lake)}
    state, tis = _tries(news_daily, conf)
    assert state == "failed"
    assert tis["publish"] == ("failed", 3)
    assert all(tis[t] == ("success", 1) for t in ("ingest", "clean", "dedup", "tag", "stories"))
    assert blocker.is_file()
    for table in ("entities", "duplicates", "rejects", "entity_counts", "_runs", "_tmp"):
        assert not list(lake.glob(f"{table}/dt=*/*")), table
    blocker.unlink()
    assert _run(news_daily, conf) == "success"
    assert len(pd.read_parquet(lake / "articles" / f"dt={day}")) == 2
    assert (lake / "_runs" / f"dt={day}" / "manifest.json").exists()
    assert not (lake / "_work").exists()


@pytest.mark.slow
def test_params_outside_the_roots_are_refused(news_daily, pair_inbox, tmp_path: Path) -> None:
    inbox, day = pair_inbox
    state, tis = _tries(news_daily, {"day": day, "inbox": "/etc", "lake": str(tmp_path / "l")})
    assert state == "failed" and tis["ingest"] == ("failed", 1)  # at once: no retries
    assert not (tmp_path / "l").exists()
