"""Airflow UI view of the newsflow lake: per day the inputs, articles, rejects,
duplicates, stories, languages, top entities and sources, charts, and the rejects of
a run with their reasons; each day links to the DAG run that published it (the run its
manifest records; none for a day the CLI published).

A FastAPI app mounted by the api-server at ``/newsflow`` plus a "News lake" entry in
the UI navigation (an external view shown inside the Airflow UI). Read-only: it
reads the Parquet with DuckDB through ``newsflow.lake.figures`` and renders the page
with ``newsflow.report.render_html`` (the report's Jinja2 templates), the same code
the HTML report uses.

Authentication: Airflow does not protect plugin apps, so every route checks the same
JWT the Airflow API checks, from an ``Authorization: Bearer`` header (scripts) or the
``_token`` cookie the Airflow UI sets at login (the UI's iframe sends it), validated
by the auth manager; the user must also be allowed to read the ``news_daily`` DAG.
No token: 401; invalid or expired token, or no permission: 403. Tokens are never
accepted in the URL (they would end up in logs and browser history).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING
from urllib.parse import quote

from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from newsflow.registry import DAG_ID, DAY_PATTERN

if TYPE_CHECKING:
    from newsflow.lake.figures import DayDetail, DayRow

log = logging.getLogger("newsflow.plugin")

URL_PREFIX = "/newsflow"
COOKIE = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN


async def require_reader(request: Request):
    """The Airflow user behind the request's JWT, if it may read the news_daily DAG."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails
    from airflow.api_fastapi.core_api.security import resolve_user_from_token

    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else request.cookies.get(COOKIE)
    user = await resolve_user_from_token(token)  # 401 without a token, 403 if invalid
    if not get_auth_manager().is_authorized_dag(
        method="GET", user=user, details=DagDetails(id=DAG_ID)
    ):
        raise HTTPException(status_code=403, detail=f"not allowed to read the {DAG_ID} DAG")
    return user


app = FastAPI(
    title="newsflow lake",
    docs_url=None,
    redoc_url=None,
    openapi_url=None,
    dependencies=[Depends(require_reader)],
)

# The trend (overview rows + its chart) per lake, and each day's figures and charts,
# valid until a manifest changes: publish writes the manifest last, so the fingerprint
# (names and mtimes of the manifests) moves whenever the data does. Rendering charts is
# the slow part; the HTML around them is cheap (its run links come from the manifests,
# with the rows). The top lists are HTML bars, so a day not seen before costs two small
# queries.
_CACHE: OrderedDict[tuple, object] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 32


def _cached(key: tuple, build):
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = build()
    with _CACHE_LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def _lake() -> str:
    from newsflow.config import load_settings

    return load_settings().lake


def _figures(lake: str, day: str | None) -> tuple:
    """(trend rows, day detail, charts) for ``day`` (default: the latest day)."""
    from newsflow import report
    from newsflow.lake import figures

    fp = figures.fingerprint(lake)
    days = [name[3:] for name, _ in fp]
    if not days:
        raise HTTPException(status_code=404, detail=f"no published runs in the lake {lake}")
    day = day or days[-1]
    if day not in days:
        raise HTTPException(status_code=404, detail=f"no published run for {day}")

    def trend():
        rows = figures.overview(lake)[-report.TREND_DAYS :]
        return rows, report.chart_volume(rows)

    rows, volume = _cached(("trend", lake, fp), trend)
    detail = _cached(("day", lake, day, fp), lambda: figures.day_detail(lake, day))
    return rows, detail, {"volume.png": volume}


def run_links(rows: list[DayRow], detail: DayDetail) -> Callable[[str], str | None]:
    """``run_href`` for the page: each day's link to the DAG run its manifest records as
    the one that published it (a later failed or repeated run of the day is not it). A
    day the CLI published records no run and gets no link: a run is never guessed."""
    runs = {r.day: r.run for r in [*rows, detail.row] if r.run}

    def href(day: str) -> str | None:
        run = runs.get(day)
        if not run:
            return None
        return f"/dags/{quote(run['dag_id'], safe='')}/runs/{quote(run['run_id'], safe='')}"

    return href


@app.get("/", response_class=HTMLResponse)
def page(day: str | None = Query(None, pattern=DAY_PATTERN)) -> HTMLResponse:
    """The lake overview and the selected day (default: the latest)."""
    from newsflow import report

    started = time.perf_counter()
    rows, detail, pngs = _figures(_lake(), day)
    body = report.render_html(
        rows,
        detail,
        pngs,
        day_href=lambda d: f"?day={d}",
        run_href=run_links(rows, detail),
        title="News lake",
    )
    ms = (time.perf_counter() - started) * 1000
    return HTMLResponse(
        body,
        headers={"Cache-Control": "no-store", "Server-Timing": f"render;dur={ms:.1f}"},
    )


@app.get("/api/days")
def api_days() -> JSONResponse:
    """Per-day counts of every published day, oldest first."""
    from newsflow.lake import figures

    rows = figures.overview(_lake())
    return JSONResponse([asdict(r) | {"duplicate_rate": r.duplicate_rate} for r in rows])


@app.get("/api/days/{day}")
def api_day(day: str) -> JSONResponse:
    """One day's figures: counts, top entities, sources and stories, languages, rejects."""
    import re

    if not re.match(DAY_PATTERN, day):
        raise HTTPException(status_code=422, detail="day must look like 2024-05-14")
    _, detail, _ = _figures(_lake(), day)
    out = asdict(detail)
    out["row"]["duplicate_rate"] = detail.row.duplicate_rate
    return JSONResponse(out)


class NewsflowLakePlugin(AirflowPlugin):
    name = "newsflow_lake"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "newsflow lake"}]
    external_views = [
        {
            "name": "News lake",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "url_route": "newsflow",
        }
    ]
