"""The News lake view's run links, through the plugin's own FastAPI app in-process (no
api-server, no port): each day links to the run its manifest records as the one that
published it, never to a later (failed) run of the same day, and a day the CLI
published gets no run link at all.

The Airflow database holds the runs a guess would pick from (a later failed run of the
published day, a run of the CLI day), so a view that linked the day's latest run fails
here. Authentication is covered by ``test_ui_plugin.py`` against a real api-server; here
the auth dependency is replaced so the page itself can be rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest
from support import plugin_module
from support.synthetic_lake import make_lake

START = date(2031, 7, 1)  # far from the days other tests' DAG runs use
PUBLISHED_DAY, CLI_DAY = START.isoformat(), (START + timedelta(days=1)).isoformat()
# run ids as Airflow makes them: ':' and '+' must be quoted in the link
PUBLISHED = "manual__2031-07-01T06:00:00+00:00"
FAILED_LATER = "manual__2031-07-01T09:30:00+00:00"
CLI_DAY_RUN = "manual__2031-07-02T06:00:00+00:00"


@pytest.fixture(scope="module")
def plugin():
    return plugin_module("newsflow_lake")


@pytest.fixture
def client(plugin, airflow_db, tmp_path, monkeypatch) -> Iterator:
    """The plugin's app over a two-day lake; the Airflow database holds news_daily runs of
    both days, the latest of the published day a failed one."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunType
    from fastapi.testclient import TestClient

    lake = tmp_path / "lake"
    assert make_lake(
        lake, days=2, articles_per_day=12, start=START, run_ids={PUBLISHED_DAY: PUBLISHED}
    ) == [PUBLISHED_DAY, CLI_DAY]
    at = datetime(2031, 7, 1, 6, tzinfo=UTC)
    runs = [
        (PUBLISHED, PUBLISHED_DAY, at, DagRunState.SUCCESS),
        (FAILED_LATER, PUBLISHED_DAY, at + timedelta(hours=3.5), DagRunState.FAILED),
        (CLI_DAY_RUN, CLI_DAY, at + timedelta(days=1), DagRunState.FAILED),
    ]
    with create_session() as session:
        for run_id, day, run_after, state in runs:
            session.add(
                DagRun(
                    dag_id="news_daily",
                    run_id=run_id,
                    run_after=run_after,
                    conf={"day": day},
                    state=state,
                    run_type=DagRunType.MANUAL,
                )
            )
    monkeypatch.setenv("NEWSFLOW_LAKE", str(lake))
    monkeypatch.setenv("NEWSFLOW_INBOX", str(tmp_path / "inbox"))
    plugin.app.dependency_overrides[plugin.require_reader] = lambda: None
    try:
        yield TestClient(plugin.app)
    finally:
        plugin.app.dependency_overrides.clear()
        with create_session() as session:
            session.query(DagRun).filter(DagRun.run_id.in_([r[0] for r in runs])).delete()


def _links(html: str) -> tuple[str | None, list[str]]:
    """(the selected day's run link, every run link of the page)."""
    selected = re.search(r'id=run-link href="([^"]*)"', html)
    return (selected.group(1) if selected else None), re.findall(r'href="(/dags/[^"]*)"', html)


def test_a_day_links_to_the_run_that_published_it(client) -> None:
    want = f"/dags/news_daily/runs/{quote(PUBLISHED, safe='')}"
    assert want == "/dags/news_daily/runs/manual__2031-07-01T06%3A00%3A00%2B00%3A00"

    r = client.get("/", params={"day": PUBLISHED_DAY})
    assert r.status_code == 200, r.text
    selected, every = _links(r.text)
    assert selected == want  # not the later failed run of the day
    assert every == [want, want]  # the day's header and its overview row; none for the CLI day


def test_a_day_the_cli_published_has_no_run_link(client) -> None:
    r = client.get("/", params={"day": CLI_DAY})  # the default (latest) day is this one
    assert r.status_code == 200, r.text
    selected, every = _links(r.text)
    assert selected is None  # although the database has a news_daily run of that day
    assert every == [f"/dags/news_daily/runs/{quote(PUBLISHED, safe='')}"]
    assert _links(client.get("/").text) == (selected, every)
    # the JSON says who published each day
    days = {d["day"]: d["run"] for d in client.get("/api/days").json()}
    assert days == {PUBLISHED_DAY: {"dag_id": "news_daily", "run_id": PUBLISHED}, CLI_DAY: None}
