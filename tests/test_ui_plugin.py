"""The Airflow UI view of the lake, served by a real ``airflow api-server`` (SQLite,
this repo's plugins folder) and loaded in a real headless Chromium.

Checks: anonymous and forged requests are refused; the API and the page show the
numbers of a fixture lake (counted here independently with pyarrow); a day links to
the DAG run its manifest records (a day without one has no link); the nav entry is
registered. The screenshot goes to ``artifacts/plugin.png``
(CI keeps it as an artifact).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from support import REPO
from support.api_server import api_server
from support.browser import chromium_binary, chromium_page
from support.synthetic_lake import make_lake

pytestmark = pytest.mark.browser  # a real api-server and a headless Chromium

ARTIFACTS = REPO / "artifacts"
START = "2031-03-01"  # far from the days other tests' DAG runs use
LATEST = "2031-03-04"  # the fixture lake's last day (4 days from START)
# the news_daily run that published LATEST (as Airflow names runs: ':' and '+' get quoted)
RUN_ID = "manual__2031-03-04T06:00:00+00:00"


@pytest.fixture(scope="module")
def fixture_lake(tmp_path_factory) -> tuple[Path, list[str]]:
    from datetime import date

    lake = tmp_path_factory.mktemp("ui-lake")
    days = make_lake(
        lake,
        days=4,
        articles_per_day=60,
        start=date.fromisoformat(START),
        run_ids={LATEST: RUN_ID},
    )
    assert days[-1] == LATEST
    return lake, days


@pytest.fixture(scope="module")
def server(airflow_db, fixture_lake, tmp_path_factory):
    """A real api-server on a free port, with news_daily serialized."""
    lake, _ = fixture_lake
    with api_server(tmp_path_factory.mktemp("api-server"), lake, reserialize=True) as s:
        yield s.base, s.token, s.env


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium; installed here when missing (CI starts from a clean machine)."""
    binary = chromium_binary()
    if binary is None:
        subprocess.run(["apt-get", "update", "-qq"], check=False, timeout=600)
        r = subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"], capture_output=True, timeout=1200
        )
        binary = chromium_binary()
        if binary is None:
            pytest.fail(
                f"chromium is missing and apt-get could not install it: {r.stderr[-2000:]!r}"
            )
    return binary


def _truth(lake: Path, day: str) -> dict[str, int]:
    """The day's figures counted straight from the Parquet files (not via the plugin's code)."""
    art = pq.read_table(lake / "articles" / f"dt={day}", columns=["is_duplicate", "story_id"])
    rejects = pq.read_table(lake / "rejects" / f"dt={day}", columns=["reason"])
    return {
        "articles": art.num_rows,
        "duplicates": int(pc.sum(art["is_duplicate"]).as_py()),
        "stories": len(pc.unique(art["story_id"])),
        "rejects": rejects.num_rows,
        "inputs": art.num_rows + rejects.num_rows,
    }


def test_anonymous_and_forged_requests_are_refused(server) -> None:
    base, token, _ = server
    for path in ("/newsflow/", "/newsflow/api/days", f"/newsflow/api/days/{START}"):
        assert httpx.get(base + path, timeout=30).status_code == 401, path
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert (
        httpx.get(
            f"{base}/newsflow/", headers={"Authorization": f"Bearer {forged}"}, timeout=30
        ).status_code
        == 403
    )
    assert (
        httpx.get(f"{base}/newsflow/", cookies={"_token": "not-a-jwt"}, timeout=30).status_code
        == 403
    )
    # credentials in the URL are not accepted
    assert (
        httpx.get(f"{base}/newsflow/?token={token}&_token={token}", timeout=30).status_code == 401
    )


def test_api_serves_the_lake_numbers(server, fixture_lake) -> None:
    base, token, _ = server
    lake, days = fixture_lake
    auth = {"Authorization": f"Bearer {token}"}
    r = httpx.get(f"{base}/newsflow/api/days", headers=auth, timeout=60)
    assert r.status_code == 200
    got = {row["day"]: row for row in r.json()}
    assert sorted(got) == days
    for day in days:
        truth = _truth(lake, day)
        assert {k: got[day][k] for k in truth} == truth
    detail = httpx.get(f"{base}/newsflow/api/days/{days[1]}", headers=auth, timeout=60).json()
    assert len(detail["rejects"]) == _truth(lake, days[1])["rejects"]
    assert (
        httpx.get(f"{base}/newsflow/api/days/1999-01-01", headers=auth, timeout=30).status_code
        == 404
    )


def test_nav_entry_is_registered(server) -> None:
    base, token, _ = server
    r = httpx.get(
        f"{base}/api/v2/plugins", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    plugin = next(p for p in r.json()["plugins"] if p["name"] == "newsflow_lake")
    assert plugin["fastapi_apps"][0]["url_prefix"] == "/newsflow"
    view = plugin["external_views"][0]
    assert (view["href"], view["destination"]) == ("/newsflow/", "nav")


def test_page_in_chromium_shows_the_lake(server, fixture_lake, chromium) -> None:
    base, token, _ = server
    lake, days = fixture_lake
    latest = days[-1]
    # the news_daily run the latest day's manifest records, created over the REST API
    r = httpx.post(
        f"{base}/api/v2/dags/news_daily/dagRuns",
        headers={"Authorization": f"Bearer {token}"},
        json={"logical_date": None, "dag_run_id": RUN_ID, "conf": {"day": latest}},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    run_id = r.json()["dag_run_id"]
    assert run_id == RUN_ID

    truth = _truth(lake, latest)
    with chromium_page(chromium) as page:
        page.goto(f"{base}/newsflow/")
        assert "Not authenticated" in page.evaluate("document.body.innerText")
        # the Airflow UI's session cookie, as its login sets it
        page.set_cookie(base, "_token", token)
        ms = page.goto(f"{base}/newsflow/")
        shown = page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('.card b')]"
            ".map(b => [b.id.slice(2), b.textContent]))"
        )
        assert page.evaluate("document.getElementById('day').textContent") == latest
        for key in ("inputs", "articles", "rejects", "duplicates", "stories"):
            assert int(shown[key]) == truth[key], key
        assert (
            page.evaluate("document.querySelectorAll('#rejects tr').length") == truth["rejects"] + 1
        )
        assert page.evaluate("document.querySelectorAll('#days tr').length") == len(days) + 1
        assert (
            page.evaluate("document.querySelectorAll('img[src^=\"data:image/png\"]').length") == 1
        )
        assert page.evaluate("[...document.images].every(i => i.naturalWidth > 100)")
        assert page.evaluate("document.getElementById('run-link').getAttribute('href')") == (
            f"/dags/news_daily/runs/{run_id}".replace(":", "%3A").replace("+", "%2B")
        )
        shot = page.screenshot(ARTIFACTS / "plugin.png")
        page.goto(f"{base}/newsflow/?day={days[0]}")
        assert (
            int(page.evaluate("document.getElementById('n-articles').textContent"))
            == _truth(lake, days[0])["articles"]
        )
        # a day its manifest records no run for (the CLI published it) has no run link
        assert page.evaluate("document.getElementById('run-link')") is None
    assert shot.stat().st_size > 20_000
    print(f"\nUI page load in Chromium (uncached first page): {ms:.0f} ms; screenshot {shot}")
