"""How a news_daily run reads in the UI (plugins/newsflow_runs.py): its note names the day
it processes, and a refused trigger says in plain words which field is wrong.

The refusals are Airflow's own: the real DAG's Params, serialized and read back as the
api-server holds them, refuse the bad values; the middleware is driven over ASGI by
httpx in front of a route that raises the 400 the way Airflow's trigger route does. The
note is written by the listener on a DagRun in the Airflow database and read back.
The same two, on a running api-server and scheduler, are checked by test_e2e_rest.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request
from newsflow.orchestration import explain_refusal, run_note
from newsflow.registry import DAY_PATTERN, LOCATION_PATTERN, SOURCE_PATTERN
from support import REPO, plugin_module

BAD = {
    "day": ({"day": "27/11/2023"}, "Day (YYYY-MM-DD): '27/11/2023' is refused; it must be a day"),
    "inbox": ({"inbox": "/data/../etc"}, "Inbox: '/data/../etc' is refused; it must be"),
    "lake": ({"lake": "http://example.org/x"}, "Lake: 'http://example.org/x' is refused"),
    "sources": ({"sources": ["gopher://x"]}, "Remote sources: ['gopher://x'] is refused"),
    "min_words": ({"min_words": -3}, "Minimum words: -3 is refused; it must be a whole number"),
}


@pytest.fixture(scope="module")
def runs_plugin():
    return plugin_module("newsflow_runs")


@pytest.fixture(scope="module")
def served_params():
    """news_daily's Params as the api-server validates a trigger against them."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    dag = DagBag(dag_folder=str(REPO / "dags")).dags["news_daily"]
    return DagSerialization.from_dict(DagSerialization.to_dict(dag)).params


def _refusal(params, conf: dict) -> str:
    """Airflow's message refusing ``conf``."""
    try:
        params.deep_merge(conf).validate()
    except Exception as e:  # ParamValidationError, from the SDK or the core
        return str(e)
    raise AssertionError(f"{conf} was accepted")


@pytest.mark.parametrize("param", sorted(BAD))
def test_each_refusal_in_plain_words(served_params, param: str) -> None:
    conf, words = BAD[param]
    raw = _refusal(served_params, conf)
    assert f"param {param}" in raw and "schema" in raw  # what Airflow alone shows
    plain = explain_refusal(raw, conf)
    assert plain is not None and plain.startswith(words), plain
    for pattern in (DAY_PATTERN, LOCATION_PATTERN, SOURCE_PATTERN):
        assert pattern not in plain
    assert "\n" not in plain and "schema" not in plain


def test_good_values_pass_and_other_messages_are_left_alone(served_params) -> None:
    good = {"day": "2023-11-27", "inbox": "/data/inbox", "lake": "s3://bucket/lake"}
    served_params.deep_merge(good).validate()
    assert explain_refusal("DAG with dag_id: 'x' not found", {}) is None
    assert explain_refusal("Invalid input for param nonsense: 1 is bad", {"nonsense": 1}) is None


def _trigger_app(runs_plugin, params):
    """A route refusing a trigger as Airflow's does (HTTPException(400, str(error))),
    behind the plugin's middleware; other paths answer 400 with the same text."""
    app = FastAPI()

    @app.post(runs_plugin.TRIGGER_PATH)
    async def trigger(request: Request) -> dict:
        conf = (await request.json())["conf"]
        try:
            params.deep_merge(conf).validate()
        except Exception as e:
            raise HTTPException(400, str(e)) from e
        return {"dag_run_id": "manual__1"}

    @app.post("/api/v2/dags/other/dagRuns")
    async def other(request: Request) -> dict:
        raise HTTPException(400, _refusal(params, (await request.json())["conf"]))

    app.add_middleware(runs_plugin.PlainRefusals)
    return app


def test_the_middleware_rewrites_only_news_daily_refusals(runs_plugin, served_params) -> None:
    app = _trigger_app(runs_plugin, served_params)

    async def post(path: str, conf: dict) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post(path, json={"logical_date": None, "conf": conf})

    conf, words = BAD["inbox"]
    r = asyncio.run(post(runs_plugin.TRIGGER_PATH, conf))
    assert r.status_code == 400 and r.json()["detail"].startswith(words), r.text
    assert int(r.headers["content-length"]) == len(r.content)
    ok = asyncio.run(post(runs_plugin.TRIGGER_PATH, {"day": "2023-11-27"}))
    assert ok.status_code == 200 and ok.json() == {"dag_run_id": "manual__1"}
    other = asyncio.run(post("/api/v2/dags/other/dagRuns", conf))
    assert other.status_code == 400 and "does not match" in other.json()["detail"]


def test_run_note_names_the_day() -> None:
    at = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    assert run_note({"day": "2023-11-27"}, at) == "Day 2023-11-27"
    assert run_note({}, None, datetime(1998, 3, 9, tzinfo=UTC), at) == "Day 1998-03-09"
    assert run_note(None, None, None, at) == "Day 2026-12-04"
    assert run_note({}, None, None) is None


def test_the_listener_writes_the_day_as_the_run_note(runs_plugin, airflow_db) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunType

    at = datetime(2031, 8, 1, 6, tzinfo=UTC)
    runs = {
        "newsflow-note-day": ({"day": "2023-11-27"}, None, "Day 2023-11-27"),
        "newsflow-note-kept": ({}, "re-run after the outage", "Day 2031-08-01\n\nre-run after"),
        "newsflow-note-other-dag": ({"day": "2023-11-27"}, None, None),
    }
    with create_session() as session:
        for run_id, (conf, note, _) in runs.items():
            run = DagRun(
                dag_id="other_dag" if run_id.endswith("other-dag") else "news_daily",
                run_id=run_id,
                run_after=at,
                conf=conf,
                state=DagRunState.RUNNING,
                run_type=DagRunType.MANUAL,
            )
            run.note = note
            session.add(run)
            session.flush()
            runs_plugin.on_dag_run_running(dag_run=run, msg="started")
            runs_plugin.on_dag_run_running(dag_run=run, msg="started")  # idempotent
    try:
        with create_session() as session:
            for run_id, (_, _, want) in runs.items():
                note = session.query(DagRun).filter(DagRun.run_id == run_id).one().note
                assert (note is None) if want is None else note.startswith(want), (run_id, note)
    finally:
        with create_session() as session:
            session.query(DagRun).filter(DagRun.run_id.in_(list(runs))).delete()
