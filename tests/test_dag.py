"""DAG integrity: the files import cleanly and fast, and news_daily is wired as designed."""

import time
from datetime import UTC, datetime

import pytest
from conftest import REPO
from newsflow.orchestration import resolve_day, selected, settings_from_params


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert "news_daily" in dagbag.dags


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
    order = ["ingest", "clean", "dedup", "tag", "publish"]
    assert sorted(dag.task_ids) == sorted(order)
    for up, down in zip(order, order[1:], strict=False):
        assert dag.get_task(down).upstream_task_ids == {up}
    assert [t.task_id for t in dag.topological_sort()] == order


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
    with pytest.raises(ParamValidationError):
        param.resolve("14/05/2024")


def test_resolve_day() -> None:
    dis = datetime(2024, 5, 13, 2, tzinfo=UTC)
    after = datetime(2024, 5, 20, 9, tzinfo=UTC)
    assert resolve_day({"day": "2024-05-01"}, dis, after) == "2024-05-01"
    assert resolve_day({"day": None}, dis, after) == "2024-05-13"
    assert resolve_day({}, None, after) == "2024-05-20"
    with pytest.raises(ValueError, match="which day"):
        resolve_day({}, None, None)


def test_params_to_settings() -> None:
    s = settings_from_params({"lake": "/l", "inbox": None, "min_words": 3})
    assert (s.lake, s.min_words) == ("/l", 3)
    assert selected({"stages": ["ingest"]}, "ingest") and not selected(
        {"stages": ["ingest"]}, "tag"
    )
    assert selected({}, "tag")
