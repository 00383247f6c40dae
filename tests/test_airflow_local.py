"""`make airflow` as the README tells a newcomer to use it, in a real headless Chromium.

Starts the real target (``make airflow PORT=<free> AIRFLOW_HOME=<tmp> LAKE=<tmp>``) in a
clean environment, takes the login and the trigger form's values from what it prints,
logs in on the UI's login page, fills news_daily's trigger form for the bundled sample
day and submits it, then waits over REST until the run is green and reads the day's
articles from the lake. Ends with Ctrl-C (SIGINT to make's group, as a terminal sends
it) and checks that no process of the deployment is left. Prints the time from launch
to the green run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from newsflow.registry import DAY_PATTERN
from support import FIGURES, SAMPLE, SAMPLE_DAY
from support.airflow_ui import (
    MakeAirflow,
    field,
    fill_trigger_form,
    finished_run,
    log_in,
    submit_refused,
    submit_trigger_form,
    type_into,
)
from support.browser import chromium_binary, chromium_page

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# s: unpausing also starts the latest interval's scheduled run, which may go first
RUN_TIMEOUT = 900


def test_make_airflow_then_trigger_the_sample_day_in_the_ui(tmp_path: Path) -> None:
    chromium = chromium_binary()
    if chromium is None:
        pytest.fail("chromium is missing (apt-get install chromium)")
    lake = tmp_path / "lake"
    airflow = MakeAirflow(tmp_path / "airflow", lake)
    started = time.monotonic()
    try:
        shown = airflow.start()
        assert shown["login"] == "admin / admin"
        assert (shown["day"], shown["inbox"]) == (SAMPLE_DAY, str(SAMPLE / "inbox"))
        assert shown["lake"] == str(lake)
        assert len(airflow.pids()) >= 4  # the leftover check below can see the processes
        with chromium_page(chromium) as page:
            log_in(page, shown["url"], shown["login"])
            # the day typed the European way is refused, in words, and no run is made
            fill_trigger_form(page, shown["url"], {**shown, "day": "27/11/2023"})
            refusal = submit_refused(page)
            assert "Day (YYYY-MM-DD): '27/11/2023' is refused" in refusal, refusal
            assert DAY_PATTERN not in refusal and "does not match" not in refusal
            type_into(page, field("day"), shown["day"])
            submit_trigger_form(page)
        run = finished_run(shown["url"], shown["login"], SAMPLE_DAY, RUN_TIMEOUT)
        elapsed = time.monotonic() - started
        assert run["state"] == "success", run
        assert run["note"] == f"Day {SAMPLE_DAY}", run  # the run names its day
        assert (run["conf"]["inbox"], run["conf"]["lake"]) == (shown["inbox"], shown["lake"])
        expected = json.loads((SAMPLE / "expected.json").read_text())
        articles = pq.read_table(lake / "articles" / f"dt={SAMPLE_DAY}")
        assert articles.num_rows == expected["inputs"] - len(expected["rejects"])
    finally:
        airflow.stop()
    assert "Airflow stopped." in airflow.output(), airflow.output()[-3000:]
    assert airflow.pids() == []
    FIGURES["make airflow"] = {"launch to a green sample run (s)": round(elapsed, 1)}
    print(f"\nmake airflow: {elapsed:.0f} s from launch to a green sample run")
