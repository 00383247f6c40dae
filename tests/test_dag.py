"""DAG integrity: the files import cleanly and fast, and news_daily is wired as designed."""

import time
from datetime import UTC, datetime

import pytest
from newsflow.config import load_settings
from newsflow.errors import InputError
from newsflow.orchestration import (
    allowed_roots,
    confine,
    resolve_day,
    selected,
    settings_from_params,
)
from support import REPO


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == {"news_daily"}


def test_dag_file_parses_fast() -> None:
    import importlib.util

    import airflow.sdk  # noqa: F401  (the parser process has Airflow loaded already)

    spec = importlib.util.spec_from_file_location("nd_probe", REPO / "dags" / "news_daily.py")
    module = importlib.util.module_from_spec(spec)
    start = time.perf_counter()
    spec.loader.exec_module(module)
    assert time.perf_counter() - start < 0.5


def test_tasks_in_order_without_cycles(dagbag) -> None:
    dag = dagbag.dags["news_daily"]
    order = ["ingest", "plan_clean", "clean", "dedup", "plan_tag", "tag", "stories", "publish"]
    assert sorted(dag.task_ids) == sorted(order)
    for up, down in zip(order, order[1:], strict=False):
        assert dag.get_task(down).upstream_task_ids == {up}
    assert [t.task_id for t in dag.topological_sort()] == order
    # clean and tag are mapped over the shards plan_* return (dynamic task mapping)
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    assert isinstance(dag.get_task("clean"), MappedOperator)
    assert isinstance(dag.get_task("tag"), MappedOperator)


def test_dag_cli_and_stages_share_the_registry(dagbag) -> None:
    """One list of stages: the DAG has a task per stage (a planner before each sharded
    one) with the registry's timeout, the runner a function per stage, the CLI a command."""
    from newsflow.cli import _parser
    from newsflow.registry import PLAN_TIMEOUT_MINUTES, SHARDED, STAGES, TIMEOUT_MINUTES
    from newsflow.stages.runner import DAY_STAGES, SHARD_STAGES

    dag = dagbag.dags["news_daily"]
    expected = [t for s in STAGES for t in ([f"plan_{s}", s] if s in SHARDED else [s])]
    assert [t.task_id for t in dag.topological_sort()] == expected
    for stage in STAGES:
        assert dag.get_task(stage).execution_timeout.total_seconds() == 60 * TIMEOUT_MINUTES[stage]
    for stage in SHARDED:
        assert dag.get_task(f"plan_{stage}").execution_timeout.total_seconds() == (
            60 * PLAN_TIMEOUT_MINUTES
        )
    assert set(DAY_STAGES) | set(SHARD_STAGES) == set(STAGES) and set(SHARD_STAGES) == set(SHARDED)
    assert dag.params.get_param("stages").value == list(STAGES)
    commands = _parser()._subparsers._group_actions[0].choices
    assert set(STAGES) <= set(commands)


def test_schedule_params_retries(dagbag) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    dag = dagbag.dags["news_daily"]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.timetable.expression == "0 2 * * *"
    assert dag.max_active_runs == 1 and not dag.catchup
    assert {"day", "inbox", "lake", "stages", "min_words", "dedup_horizon_days"} <= set(dag.params)
    for t in dag.tasks:
        assert t.retries >= 1 and t.retry_exponential_backoff
    outlets = {a.name for a in dag.get_task("publish").outlets}
    assert outlets == {"newsflow_articles", "newsflow_entities"}


def test_bad_day_param_is_refused(dagbag) -> None:
    from airflow.sdk.definitions.param import ParamValidationError

    param = dagbag.dags["news_daily"].params.get_param("day")
    assert param.resolve("2024-05-14") == "2024-05-14"
    assert param.resolve(None) is None
    for bad in ("14/05/2024", "27/11/2023", "11/27/2023", "2023-11-27T00:00", "20231127"):
        with pytest.raises(ParamValidationError):
            param.resolve(bad)
    # a text field typed as YYYY-MM-DD, not a date picker showing mm/dd/yyyy
    assert "format" not in param.schema and "YYYY-MM-DD" in param.schema["title"]


def test_resolve_day() -> None:
    logical = datetime(2023, 11, 27, tzinfo=UTC)
    dis = datetime(2024, 5, 13, 2, tzinfo=UTC)
    after = datetime(2024, 5, 20, 9, tzinfo=UTC)
    assert resolve_day({"day": "2024-05-01"}, logical, dis, after) == "2024-05-01"
    assert resolve_day({"day": None}, logical, dis, after) == "2023-11-27"
    assert resolve_day({"day": None}, None, dis, after) == "2024-05-13"
    assert resolve_day({}, None, None, after) == "2024-05-20"
    with pytest.raises(InputError, match="which day"):
        resolve_day({}, None, None)
    with pytest.raises(InputError, match="not a day like 2024-05-14"):
        resolve_day({"day": "2023-02-30"})


def test_params_to_settings(tmp_path) -> None:
    s = settings_from_params({"lake": str(tmp_path / "l"), "inbox": None, "min_words": 3})
    assert (s.lake, s.min_words) == (str(tmp_path / "l"), 3)
    assert selected({"stages": ["ingest"]}, "ingest") and not selected(
        {"stages": ["ingest"]}, "tag"
    )
    assert selected({}, "tag")


def test_pool_and_timeouts(dagbag, monkeypatch) -> None:
    """ingest runs in Airflow's default pool unless a fetch pool is configured: on a stock
    Airflow, a pool nobody created would leave it unscheduled with no word in the UI."""
    from airflow.dag_processing.dagbag import DagBag

    dag = dagbag.dags["news_daily"]
    assert dag.get_task("ingest").pool == "default_pool"
    for t in dag.tasks:
        assert t.execution_timeout is not None and t.execution_timeout.total_seconds() <= 2 * 3600
    monkeypatch.setenv("NEWSFLOW_FETCH_POOL", "newsflow_fetch")
    configured = DagBag(dag_folder=str(REPO / "dags")).dags["news_daily"]
    assert configured.get_task("ingest").pool == "newsflow_fetch"


def test_any_past_day_gets_task_instances(dagbag) -> None:
    """Runs for days before start_date get no task instances and are marked success: the
    start date lies before any day parse_day accepts."""
    from newsflow.dates import MIN_DAY

    assert dagbag.dags["news_daily"].start_date.date() <= MIN_DAY


def test_location_params_refuse_escapes_at_trigger_time(dagbag) -> None:
    from airflow.sdk.definitions.param import ParamValidationError

    for name in ("inbox", "lake"):
        param = dagbag.dags["news_daily"].params.get_param(name)
        assert param.resolve("/data/lake") == "/data/lake"
        assert param.resolve("s3://bucket/lake") == "s3://bucket/lake"
        for bad in ("../etc", "/data/../etc", "http://example.org/x", "gs://b/x"):
            with pytest.raises(ParamValidationError):
                param.resolve(bad)


def test_sources_param_takes_the_sources_txt_lines(dagbag) -> None:
    from airflow.sdk.definitions.param import ParamValidationError

    param = dagbag.dags["news_daily"].params.get_param("sources")
    good = ["feed https://a.example/rss.xml", "sitemap http://b.example/s.xml", "https://c/p"]
    assert param.resolve(good) == good
    assert param.resolve(None) is None
    for bad in (["ftp://a/x"], ["feed"], ["rss https://a/x"], ["https://a/x y"], "https://a"):
        with pytest.raises(ParamValidationError):
            param.resolve(bad)


def test_confine_to_roots(tmp_path) -> None:
    roots = [str(tmp_path / "inbox"), "s3://bucket/lake"]
    assert confine(str(tmp_path / "inbox" / "a"), roots, "inbox")
    assert confine("s3://bucket/lake/2024", roots, "lake")
    for bad, why in [
        (str(tmp_path / "inbox" / ".." / "x"), "'..'"),
        (str(tmp_path / "inboxer"), "outside the configured roots"),
        ("s3://bucket/lakehouse", "outside the configured roots"),
        ("gs://bucket/lake", "scheme 'gs'"),
        ("/etc", "outside the configured roots"),
    ]:
        with pytest.raises(ValueError, match=why):
            confine(bad, roots, "lake")
    # a symlink out of a root does not escape it
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "link").symlink_to("/etc")
    with pytest.raises(ValueError, match="outside"):
        confine(str(tmp_path / "inbox" / "link"), roots, "inbox")
    s = load_settings(environ={"NEWSFLOW_PARAM_ROOTS": "/a, s3://b/c"}, inbox="/i", lake="/l")
    assert allowed_roots(s) == ["/i", "/l", "/a", "s3://b/c"]


def test_settings_from_params_checks_roots(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("NEWSFLOW_PARAM_ROOTS", str(tmp_path))
    assert settings_from_params({"lake": str(tmp_path / "l")}).lake == str(tmp_path / "l")
    with pytest.raises(ValueError, match="params.inbox"):
        settings_from_params({"inbox": "/etc"})
