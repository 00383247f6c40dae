"""Issue 15, the lake's items: one spelling of a lake (7), no overlapping roots (10), an
Asset event cannot steer a write (8), crash windows of publish (16), cross-day
duplicate links that survive a rerun of the original's day (5).

Real processes, real Parquet, the real CLI; crashes are real SIGKILLs injected at a
chosen point of the real code.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from newsflow import stages
from newsflow.config import load_settings
from newsflow.lake.lock import LockTimeout, day_lock
from support import day_matches_manifest

DAY = "2024-05-14"
INCLUDE = str(Path(__file__).parents[1] / "include")


def _newsflow(*args: str, cwd: Path | None = None, timeout: float = 600):
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


# -- item 7: the day lock is the same whatever the lake's spelling ---------------------------


@pytest.mark.slow
def test_one_day_lock_whatever_the_spelling(tmp_path: Path, monkeypatch) -> None:
    lake = tmp_path / "lake"
    elsewhere = tmp_path / "elsewhere"  # the holder runs from another folder
    elsewhere.mkdir()
    code = (
        "import sys,time; sys.path.insert(0, sys.argv[2]);"
        "from newsflow.lake.lock import day_lock\n"
        "with day_lock(sys.argv[1], '2024-05-14'):\n print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, f"file://{lake}", INCLUDE],
        stdout=subprocess.PIPE,
        cwd=elsewhere,
    )
    monkeypatch.chdir(tmp_path)
    spellings = [str(lake), f"{lake}/", f"{lake}/../lake", "lake", "./lake/", f"file://{lake}"]
    try:
        assert holder.stdout.readline().strip() == b"held"
        for spelling in spellings:
            with pytest.raises(LockTimeout), day_lock(spelling, DAY, timeout=0.3):
                pytest.fail(f"{spelling!r} took the lock another process holds")
        settings = load_settings(environ={}, lake=spellings[0], inbox=str(tmp_path / "in"))
        with pytest.raises(LockTimeout), day_lock(settings.lake, DAY, timeout=0.3):
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert (lake / "_state" / "locks" / f"{DAY}.lock").is_file()
    assert not list(elsewhere.iterdir()), "the lock went to a relative ./file:/... folder"
    # Settings carry the one spelling to every consumer
    assert {load_settings(environ={}, lake=s).lake for s in spellings} == {str(lake)}
    remote = {"s3://b/lake", "s3://b/lake/", "S3://b//lake", "s3://b/x/../lake"}
    assert {load_settings(environ={}, lake=s).lake for s in remote} == {"s3://b/lake"}


# -- item 10: the lake and the inbox must not overlap ----------------------------------------


@pytest.mark.slow
def test_overlapping_roots_are_refused(tmp_path: Path) -> None:
    from newsflow.orchestration import settings_from_params

    inbox = tmp_path / "inbox"
    (inbox / DAY).mkdir(parents=True)
    (inbox / DAY / "a.txt").write_text("word " * 50)
    cases = [
        (inbox, inbox / "lake"),  # the lake inside the inbox
        (inbox, inbox / DAY / "lake"),
        (tmp_path / "lake" / "inbox", tmp_path / "lake"),  # the inbox inside the lake
        (inbox, inbox),
        (inbox, f"file://{inbox}/lake/"),  # another spelling of the same place
    ]
    for box, lake in cases:
        r = _newsflow("run", "--inbox", str(box), "--lake", str(lake), "--day", DAY)
        assert r.returncode == 2, (box, lake, r.stderr)
        assert "overlap" in r.stderr and "Traceback" not in r.stderr, r.stderr
        with pytest.raises(ValueError, match="overlap"):  # a DAG run's Params, the same way
            settings_from_params({"inbox": str(box), "lake": str(lake)})
    assert not (inbox / "lake").exists() and not (inbox / DAY / "lake").exists()
    # siblings with a common prefix are fine
    s = load_settings(environ={}, inbox=str(tmp_path / "data"), lake=str(tmp_path / "data-lake"))
    assert s.lake == str(tmp_path / "data-lake")


# -- item 8: an Asset event cannot steer a write -------------------------------------------


def test_no_dag_acts_on_asset_events() -> None:
    """Anyone allowed to post Asset events over the API controls their ``extra``. The day's
    report is written by the publish that made the day, so no DAG of ours is scheduled on
    an Asset or reads an event's extra: an event cannot send a write anywhere."""
    from airflow.dag_processing.dagbag import DagBag
    from support import REPO

    dags = DagBag(dag_folder=str(REPO / "dags")).dags
    assert set(dags) == {"news_daily"}
    for dag in dags.values():
        assert not getattr(dag.timetable, "asset_condition", None), dag.dag_id
    source = (REPO / "dags" / "news_daily.py").read_text()
    assert "triggering_asset_events" not in source


# -- item 16: crash windows of publish -------------------------------------------------------


# Runs the real CLI in a child that SIGKILLs itself at a chosen point of publish: on the
# second swap of a journal entry (between publish's renames), when the cleanup reaches
# _work/deduped, or when the repair of a later day starts.
_KILLER = """
import os, signal, sys
from newsflow.lake import partition, storage

mode, day = sys.argv[1], sys.argv[2]
swap_in, remove_tree, swaps = partition.swap_in, storage.remove_tree, []

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def killing_swap_in(tmp, final):
    if mode == "swap" and "_work" not in str(final):  # publish's swaps of the lake's tables
        swaps.append(final)
        if len(swaps) == 2:
            die()
    return swap_in(tmp, final)

def killing_remove_tree(path):
    if mode == "cleanup" and str(path).endswith(f"/_work/deduped/dt={day}"):
        die()
    return remove_tree(path)

def killing_repair_day(*args):
    if mode == "repair":  # as the first later day is about to be repaired
        die()
    return repair_day(*args)

partition.swap_in, storage.remove_tree = killing_swap_in, killing_remove_tree
import newsflow.repair as repair
repair_day, repair._repair_day = repair._repair_day, killing_repair_day
from newsflow.cli import main
sys.exit(main(sys.argv[3:]))
"""


def _consistent(lake: Path) -> dict:
    """The published day matches its manifest byte for byte; returns the manifest."""
    return day_matches_manifest(lake, DAY)


@pytest.fixture(scope="module")
def small_day(tmp_path_factory) -> tuple[Path, Path]:
    """A published day of 12 sample texts, and an inbox with one more for the next run."""
    import shutil

    from support import SAMPLE

    root = tmp_path_factory.mktemp("small")
    inbox, lake = root / "inbox", root / "lake"
    (inbox / DAY).mkdir(parents=True)
    for f in sorted((SAMPLE / "inbox" / DAY).glob("*.txt"))[:12]:
        shutil.copy(f, inbox / DAY / f.name)
    r = _newsflow("run", "--inbox", str(inbox), "--lake", str(lake), "--day", DAY)
    assert r.returncode == 0, r.stderr
    extra = (SAMPLE / "inbox" / DAY / "chile-rate-cut.txt").read_text() + "\nA late line."
    (inbox / DAY / "late-addition.txt").write_text(extra)
    return inbox, lake


def _killed_run(small_day, tmp_path: Path, mode: str) -> Path:
    """A copy of the small lake on which a run of the next version was killed in publish."""
    import shutil

    inbox, published = small_day
    lake = tmp_path / "lake"
    shutil.copytree(published, lake)
    args = ["run", "--inbox", str(inbox), "--lake", str(lake), "--day", DAY]
    r = subprocess.run(
        [sys.executable, "-c", _KILLER, mode, DAY, *args], capture_output=True, timeout=600
    )
    assert r.returncode == -signal.SIGKILL, r.stderr.decode()[-2000:]
    return lake


@pytest.mark.slow
def test_readers_never_see_a_half_swapped_day(small_day, tmp_path: Path) -> None:
    import shutil

    import pyarrow.parquet as pq
    from newsflow.lake import figures, partition, query

    crashed = _killed_run(small_day, tmp_path, "swap")
    journal = crashed / "_tmp" / f"publish.dt={DAY}.json"
    assert journal.is_file()
    with pytest.raises(AssertionError):
        _consistent(crashed)  # the kill left a half-swapped day on disk
    old = json.loads((crashed / "_runs" / f"dt={DAY}" / "manifest.json").read_text())

    def copy(name: str) -> Path:
        shutil.copytree(crashed, tmp_path / name)
        return tmp_path / name

    # the CLI's report is the first reader: it sees (and leaves) the new day, whole
    lake = copy("report")
    r = _newsflow("report", "--lake", str(lake), "--day", DAY)
    assert r.returncode == 0, r.stderr
    new = _consistent(lake)
    assert new["inputs"] == old["inputs"] + 1
    assert f"inputs {new['inputs']}  articles {new['counts']['articles']}" in r.stdout
    assert not (lake / "_tmp").exists() and not (lake / "_work").exists()
    # the plugin's figures, the library readers and the cross-day queries, each first
    readers = {
        "figures": lambda lake: figures.day_detail(lake, DAY),
        "overview": lambda lake: figures.overview(lake),
        "read_partition": lambda lake: partition.read_partition(lake, "entities", DAY),
        "query": lambda lake: query.story_of_earlier(lake, {"x"}),
    }
    for name, read in readers.items():
        lake = copy(name)
        read(lake)
        assert _consistent(lake) == new, name
    # the plugin, as the api-server runs it
    lake = copy("plugin")
    sys.path.insert(0, str(Path(__file__).parents[1] / "plugins"))
    try:
        import newsflow_lake

        _, detail, _ = newsflow_lake._figures(str(lake), DAY)
    finally:
        sys.path.pop(0)
    assert (
        detail.row.articles
        == new["counts"]["articles"]
        == pq.read_metadata(lake / "articles" / f"dt={DAY}" / "part-0.parquet").num_rows
    )
    _consistent(lake)


@pytest.mark.slow
def test_a_reader_waits_for_the_writer_holding_the_day(small_day, tmp_path: Path) -> None:
    """While another process holds the day (it is publishing), a reader does not touch
    the journal: it waits for it to go, or times out without changing a file."""
    from newsflow.lake.partition import settle

    lake = _killed_run(small_day, tmp_path, "swap")
    before = sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())
    code = (
        "import sys,time; from newsflow.lake.lock import day_lock\n"
        "with day_lock(sys.argv[1], sys.argv[2]):\n print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(lake), DAY], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        with pytest.raises(LockTimeout, match="being published"):
            settle(lake, DAY, timeout=0.5)
        after = sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())
        assert after == before
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    settle(lake, DAY)  # the holder is gone: the reader rolls the publish forward
    _consistent(lake)


@pytest.mark.slow
def test_publish_killed_during_cleanup_is_done(small_day, tmp_path: Path) -> None:
    lake = _killed_run(small_day, tmp_path, "cleanup")
    r = _newsflow("publish", "--lake", str(lake), "--day", DAY)
    assert r.returncode == 0, r.stderr
    assert "'no_op': 1" in r.stdout, r.stdout
    manifest = _consistent(lake)
    assert manifest["inputs"] == 13 and manifest["checks"]["inputs_accounted_for"]
    assert not (lake / "_work").exists() and not (lake / "_tmp").exists()
    # publishing a published day again is the same no-op
    r = _newsflow("-v", "publish", "--lake", str(lake), "--day", DAY)
    assert r.returncode == 0 and "nothing to do (no-op)" in r.stderr, r.stderr
    assert _consistent(lake) == manifest


# -- item 5: cross-day links survive a rerun of the original's day; ids are lake-unique -------

D0, D1, D2 = "2024-05-07", "2024-05-08", "2024-05-09"
D1_RUN = "scheduled__2024-05-08T00:00:00+00:00"


def _sql(lake: Path, sql: str) -> list[tuple]:
    """DuckDB over the whole multi-day lake, as docs/analysts.md reads it."""
    import duckdb

    art = f"read_parquet('{lake}/articles/dt=*/*.parquet')"
    dup = f"read_parquet('{lake}/duplicates/dt=*/*.parquet', hive_partitioning = true)"
    ent = f"read_parquet('{lake}/entities/dt=*/*.parquet', hive_partitioning = true)"
    return duckdb.sql(sql.format(articles=art, duplicates=dup, entities=ent)).fetchall()


def _links_resolve(lake: Path) -> None:
    """Every copy's duplicate_of names exactly one article, a representative (in articles
    and in duplicates), and the key analysts join on is unique across the lake."""
    assert _sql(lake, "SELECT article_id FROM {articles} GROUP BY 1 HAVING count(*) > 1") == []
    dangling = _sql(
        lake,
        """SELECT c.ingest_date, c.article_id, c.duplicate_of FROM {articles} c
           LEFT JOIN {articles} o ON o.article_id = c.duplicate_of
           WHERE c.duplicate_of IS NOT NULL AND (o.article_id IS NULL OR o.is_duplicate)""",
    )
    assert dangling == []
    assert (
        _sql(
            lake,
            """SELECT d.article_id FROM {duplicates} d
           LEFT JOIN {articles} o ON o.article_id = d.duplicate_of
                                  AND o.ingest_date = d.duplicate_of_dt AND NOT o.is_duplicate
           WHERE o.article_id IS NULL""",
        )
        == []
    )
    # articles and duplicates agree on who is a copy
    assert (
        _sql(
            lake,
            """SELECT a.article_id FROM {articles} a FULL JOIN {duplicates} d USING (article_id)
           WHERE a.is_duplicate IS DISTINCT FROM (d.article_id IS NOT NULL)
              OR a.duplicate_of IS DISTINCT FROM d.duplicate_of""",
        )
        == []
    )
    for day in (D0, D1, D2):
        (lake / "_runs" / f"dt={day}" / "manifest.json").is_file() and _consistent_day(lake, day)


def _consistent_day(lake: Path, day: str) -> None:
    manifest = day_matches_manifest(lake, day)
    arts = _sql(lake, f"SELECT count(*) FROM {{articles}} WHERE ingest_date = '{day}'")[0][0]
    assert manifest["counts"]["articles"] == arts


def _three_days(tmp_path: Path):
    """D0 has an original; D1 an exact copy, the same URL again and a near copy; D2 one
    more copy. Returns (inbox, lake, run(day), the inbox of D0 without the original)."""
    from newsflow.cli import main
    from test_dedup_index import article, syndicated, write_inbox

    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    original = (
        "Prime Minister Fumio Kishida met President Vo Van Thuong in Tokyo on Monday.\n"
        + article(1)
    )
    other = "Chancellor Olaf Scholz spoke in Berlin.\n" + article(2)
    wire = "https://wire.example/a"
    write_inbox(
        inbox, D0, [{"url": wire, "text": original}, {"url": "https://b.example/", "text": other}]
    )
    write_inbox(
        inbox,
        D1,
        [
            {"url": "https://farm.example/x", "text": original},  # an exact copy
            {"url": wire, "text": original},  # the same URL again (a feed still lists it)
            {"url": "https://farm.example/y", "text": syndicated(original)},  # a near copy
        ],
    )
    write_inbox(inbox, D2, [{"url": "https://farm2.example/z", "text": original}])

    def run(day: str) -> None:
        assert main(["run", "--inbox", str(inbox), "--lake", str(lake), "--day", day]) == 0

    run(D0)
    # D1 as a news_daily run publishes it: the repair of D1 must keep that run
    stages.run(load_settings(inbox=str(inbox), lake=str(lake)), D1, run_id=D1_RUN)
    run(D2)
    _links_resolve(lake)  # the same URL on two days is two articles, one id each
    assert _sql(lake, "SELECT count(*) FROM {articles} WHERE is_duplicate") == [(4,)]
    return (
        inbox,
        lake,
        run,
        lambda: write_inbox(inbox, D0, [{"url": "https://b.example/", "text": other}]),
    )


@pytest.mark.slow
def test_rerun_without_the_original_repairs_later_days(tmp_path: Path) -> None:
    inbox, lake, run, drop_original = _three_days(tmp_path)
    drop_original()  # the original's day is rebuilt without it
    run(D0)
    _links_resolve(lake)
    # D1 was repaired (its manifest says so) and still names the run that published it
    d1 = json.loads((lake / "_runs" / f"dt={D1}" / "manifest.json").read_text())
    assert len(d1["repairs"]) == 1
    assert d1["run"] == {"dag_id": "news_daily", "run_id": D1_RUN}
    assert json.loads((lake / "_runs" / f"dt={D0}" / "manifest.json").read_text())["run"] is None
    # the later day's copies now have a representative of their own, tagged with NER
    reps = _sql(
        lake,
        f"SELECT article_id, url FROM {{articles}} WHERE ingest_date = '{D1}' AND NOT is_duplicate",
    )
    assert len(reps) == 1, reps
    ((rep_id, _),) = reps
    tagged = _sql(
        lake, f"SELECT DISTINCT entity_key FROM {{entities}} WHERE article_id = '{rep_id}'"
    )
    assert {"Fumio Kishida", "Tokyo"} <= {k for (k,) in tagged}, tagged
    counts = pd_counts = _sql(
        lake,
        f"""SELECT entity_key FROM read_parquet('{lake}/entity_counts/dt={D1}/*.parquet')""",
    )
    assert ("Fumio Kishida",) in pd_counts, counts
    # the day after points at the new representative (or is one itself), never at the gap
    (z,) = _sql(
        lake, f"SELECT is_duplicate, duplicate_of FROM {{articles}} WHERE ingest_date = '{D2}'"
    )
    assert z == (True, rep_id)
    assert (
        _sql(lake, f"SELECT duplicate_of_dt FROM {{duplicates}} WHERE dt = '{D2}'")[0][
            0
        ].isoformat()
        == D1
    )
    # the promoted copy joins the cross-day index: a later copy of it is still found
    sig = lake / "_state" / "minhash_signatures" / f"dt={D1}"
    assert rep_id in _sql(lake, f"SELECT article_id FROM read_parquet('{sig}/*.parquet')")[0]
    # reruns are idempotent
    files = {p: p.read_bytes() for p in lake.rglob("*.parquet")}
    run(D0)
    assert {p: p.read_bytes() for p in lake.rglob("*.parquet")} == files


@pytest.mark.slow
def test_a_kill_before_the_repair_leaves_no_dangling_link(tmp_path: Path) -> None:
    """The later days are repaired before the rebuilt day is swapped in: killed as the
    repair starts, the lake still has the original (at worst, had the repair gone on, a
    copy promoted early), never a link to nothing; the next run finishes the job."""
    inbox, lake, run, drop_original = _three_days(tmp_path)
    drop_original()
    args = ["run", "--inbox", str(inbox), "--lake", str(lake), "--day", D0]
    r = subprocess.run(
        [sys.executable, "-c", _KILLER, "repair", D0, *args], capture_output=True, timeout=600
    )
    assert r.returncode == -signal.SIGKILL, r.stderr.decode()[-2000:]
    _links_resolve(lake)
    assert _sql(lake, f"SELECT count(*) FROM {{articles}} WHERE ingest_date = '{D0}'") == [(2,)]
    run(D0)
    _links_resolve(lake)
    assert _sql(lake, f"SELECT count(*) FROM {{articles}} WHERE ingest_date = '{D0}'") == [(1,)]
