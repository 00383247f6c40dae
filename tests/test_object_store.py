"""The lake on S3-compatible storage: the same pipeline, CLI and DAG against a real S3
HTTP endpoint on 127.0.0.1, compared table by table with a local lake of the same inputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from newsflow.lake import partition, schema, storage
from support import REPO, SAMPLE
from support.s3server import s3_server

pytestmark = pytest.mark.slow  # a moto S3 server and several runs (~60 s)

DAY = json.loads((SAMPLE / "expected.json").read_text())["day"]
NEXT = (date.fromisoformat(DAY) + timedelta(days=1)).isoformat()
LAKE = "s3://news/lake"
TABLES = ("articles", "entities", "duplicates", "rejects", "entity_counts")


def _newsflow(*args: str) -> subprocess.CompletedProcess:
    """The CLI in its own process (it reads the AWS_* variables like a deployment)."""
    exe = Path(sys.executable).parent / "newsflow"
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=600, env=dict(os.environ)
    )


def _keys(fs, root: str) -> list[str]:
    return sorted(k[len(root) + 1 :] for k in fs.find(root))


def _table(lake: str | Path, table: str, day: str = DAY) -> pa.Table:
    return partition.read_partition(lake, table, day)


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """The S3 endpoint, a local lake and an S3 lake built from the same inbox (two days:
    the second day's inbox repeats the first, so every article is an earlier copy)."""
    inbox = tmp_path_factory.mktemp("inbox")
    shutil.copytree(SAMPLE / "inbox" / DAY, inbox / DAY)
    shutil.copytree(SAMPLE / "inbox" / DAY, inbox / NEXT)
    local = tmp_path_factory.mktemp("lake")
    with s3_server("news"):
        runs = {}
        for lake in (str(local), LAKE):
            p = _newsflow("run", "--inbox", str(inbox), "--lake", lake, "--day", DAY)
            assert p.returncode == 0, p.stdout + p.stderr
            runs[lake] = p
        yield {"inbox": inbox, "local": local, "fs": storage.lake_path(LAKE).fs, "runs": runs}


def test_layout_on_the_object_store(s3) -> None:
    keys = _keys(s3["fs"], "news/lake")
    for table in TABLES:
        assert f"{table}/dt={DAY}/part-0.parquet" in keys, table
    for key in (
        f"_runs/dt={DAY}/manifest.json",
        f"_reports/dt={DAY}/report.html",
        f"_reports/dt={DAY}/report.txt",
        f"_state/minhash/dt={DAY}/part-0.parquet",
        f"_state/minhash_signatures/dt={DAY}/part-0.parquet",
    ):
        assert key in keys
    # no scratch, work files or journals are left behind
    leftovers = [k for k in keys if k.startswith(("_tmp/", "_work/")) or ".tmp" in k]
    assert leftovers == []


def test_same_rows_and_bytes_as_a_local_lake(s3) -> None:
    local = json.loads((s3["local"] / "_runs" / f"dt={DAY}" / "manifest.json").read_text())
    remote = json.loads(storage.lake_path(f"{LAKE}/_runs/dt={DAY}/manifest.json").read_text())
    assert remote["counts"] == local["counts"]
    assert remote["checks"] == {"inputs_accounted_for": True}
    assert remote["counts"]["articles"] > 0 and remote["counts"]["rejects"] > 0
    for table in TABLES:
        a, b = _table(s3["local"], table), _table(LAKE, table)
        assert a.schema.remove_metadata() == b.schema.remove_metadata(), table
        assert a.equals(b), table
    # the manifest's checksums are of the objects as stored
    for name, f in remote["files"].items():
        assert partition.file_sha256(storage.lake_path(f"{LAKE}/{name}")) == f["sha256"], name


def test_analysts_read_it_with_duckdb_and_pandas(s3) -> None:
    import pandas as pd

    con = storage.duckdb_connect(LAKE)
    n = con.sql(
        f"SELECT count(*) FROM read_parquet('{LAKE}/articles/*/*.parquet', hive_partitioning = true)"
    ).fetchall()[0][0]
    counts = json.loads(storage.lake_path(f"{LAKE}/_runs/dt={DAY}/manifest.json").read_text())
    assert n == counts["counts"]["articles"]
    df = pd.read_parquet(f"{LAKE}/entities/dt={DAY}/part-0.parquet")
    assert len(df) == counts["counts"]["entities"]
    report = storage.lake_path(f"{LAKE}/_reports/dt={DAY}/report.html").read_text()
    assert DAY in report and "<html" in report.lower()
    # what the Airflow UI plugin shows comes from the same functions
    from newsflow.lake import figures

    (row,) = [r for r in figures.overview(LAKE) if r.day == DAY]
    assert (row.articles, row.rejects) == (n, counts["counts"]["rejects"]) and row.stories > 0
    assert figures.fingerprint(LAKE) and figures.day_detail(LAKE, DAY).top_entities


def test_rerun_leaves_the_same_objects(s3) -> None:
    before = _keys(s3["fs"], "news/lake")
    rows = _table(LAKE, "articles")
    p = _newsflow("run", "--inbox", str(s3["inbox"]), "--lake", LAKE, "--day", DAY)
    assert p.returncode == 0, p.stdout + p.stderr
    assert _keys(s3["fs"], "news/lake") == before
    assert _table(LAKE, "articles").equals(rows)


def test_next_day_finds_its_copies_in_the_cross_day_index(s3) -> None:
    p = _newsflow("run", "--inbox", str(s3["inbox"]), "--lake", LAKE, "--day", NEXT)
    assert p.returncode == 0, p.stdout + p.stderr
    first, second = _table(LAKE, "articles"), _table(LAKE, "articles", NEXT)
    dups = _table(LAKE, "duplicates", NEXT).to_pylist()
    earlier = [d for d in dups if str(d["duplicate_of_dt"]) == DAY]
    # every article of the repeated day is a copy of one of day one's representatives
    assert all(second.column("is_duplicate").to_pylist())
    assert len(earlier) == second.num_rows
    reps = set(first.filter(pa.compute.invert(first["is_duplicate"]))["article_id"].to_pylist())
    assert {d["duplicate_of"] for d in dups} <= reps
    # and copies keep their originals' stories (read back from the object store)
    story = dict(zip(first["article_id"].to_pylist(), first["story_id"].to_pylist(), strict=True))
    for row in second.select(["duplicate_of", "story_id"]).to_pylist():
        if row["duplicate_of"] in story:
            assert row["story_id"] == story[row["duplicate_of"]]


def test_a_crash_during_publish_is_rolled_forward(s3) -> None:
    """A journal left by a publish that died before its copies: the next reader of the
    day finishes it, and the partition holds the new rows, whole."""
    root, day = f"{LAKE}/crash", "2024-01-02"
    old = pa.table({"x": pa.array([1, 2], pa.int64())})
    new = pa.table({"x": pa.array([3, 4, 5], pa.int64())})
    sch = old.schema
    partition.write_partition(root, "t", day, [old], sch)
    tmp = partition.write_partition(root, "t", day, [new], sch, swap=False)
    journal = storage.lake_path(root) / "_tmp" / f"publish.dt={day}.json"
    final = partition.partition_dir(root, "t", day)
    journal.write_text(json.dumps([[str(tmp), str(final)]]))  # ... and then the crash
    assert storage.read_table(final / partition.PART_NAME).equals(old)
    partition.finish_publish(root, day)
    assert partition.read_partition(root, "t", day).equals(new)
    assert not journal.exists() and not tmp.exists()
    assert _keys(s3["fs"], "news/lake/crash") == [f"t/dt={day}/part-0.parquet"]


def test_the_dag_runs_on_the_object_store(s3, airflow_db, monkeypatch) -> None:
    """news_daily through dag.test with the lake Param on S3 (inside the allowed roots)."""
    monkeypatch.setenv("NEWSFLOW_PARAM_ROOTS", f"{os.environ['NEWSFLOW_PARAM_ROOTS']},s3://news")
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags")).dags["news_daily"]
    lake = f"{LAKE}/dag"
    run = dag.test(run_conf={"day": DAY, "inbox": str(s3["inbox"]), "lake": lake})
    assert run.state == "success"
    assert _table(lake, "articles").equals(_table(LAKE, "articles"))
    assert storage.lake_path(f"{lake}/_runs/dt={DAY}/manifest.json").exists()


def test_schema_of_the_remote_partitions(s3) -> None:
    for table, expected in [("articles", schema.ARTICLES), ("entities", schema.ENTITIES)]:
        f = storage.lake_path(f"{LAKE}/{table}/dt={DAY}/part-0.parquet")
        assert storage.parquet_file(f).schema_arrow.remove_metadata() == expected
