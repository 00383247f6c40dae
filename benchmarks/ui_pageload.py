"""Page-load time of the Airflow UI view on a 100-day synthetic lake.

    .venv/bin/python benchmarks/ui_pageload.py [--days 100] [--articles 300] [--pages 10]

Builds the lake with the real schemas and writers (tests/support/synthetic_lake.py), starts a
real api-server with the plugin (temp AIRFLOW_HOME, SQLite), then measures:

- the first page after start (cold: imports of DuckDB and matplotlib),
- uncached pages (the worst case: just after a publish, so nothing is cached): server
  render time (``Server-Timing``), HTTP wall time, and Chromium's load time
  (Navigation Timing, request start to load event end), each page a different day,
- a day not viewed yet while the trend chart is cached, and cached pages,
- baseline, side by side in the same run and server: Airflow's own REST call
  ``GET /api/v2/dags`` and the same page on a 1-day lake (a second lake, same server
  process type), so the ratio says what 100 days cost over 1 day.

Prints a table of medians and ratios, with the core count and the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import httpx  # noqa: E402
from support.api_server import api_server  # noqa: E402
from support.browser import chromium_binary, chromium_page  # noqa: E402
from support.synthetic_lake import make_lake  # noqa: E402

START = date(2024, 1, 1)


def _timed_get(base: str, path: str, token: str) -> tuple[float, float]:
    """(HTTP wall ms, server render ms) of one authenticated GET."""
    t = time.perf_counter()
    r = httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    wall = (time.perf_counter() - t) * 1000
    r.raise_for_status()
    timing = r.headers.get("server-timing", "")
    render = float(timing.split("dur=")[1]) if "dur=" in timing else float("nan")
    return wall, render


def measure(lake: Path, ndays: int, pages: int, chromium: str, work: Path) -> dict[str, float]:
    home = work / f"home-{ndays}"
    home.mkdir()
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(HERE.parent / "plugins"),
           "AIRFLOW__CORE__DAGS_FOLDER": str(HERE.parent / "dags")}  # fmt: skip
    os.environ.update(env)
    subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], env=env,
                   check=True, capture_output=True, timeout=600)  # fmt: skip
    days = [(START + timedelta(days=i)).isoformat() for i in range(ndays)]
    picks = [days[-1 - (i * 7) % ndays] for i in range(pages)]
    out: dict[str, float] = {}
    manifest = lake / "_runs" / f"dt={days[-1]}" / "manifest.json"

    def republished() -> None:
        """What a new publish does to the view's cache: a manifest changes."""
        os.utime(manifest)

    with api_server(home, lake) as s:
        out["cold first page (ms)"] = _timed_get(s.base, f"/newsflow/?day={days[0]}", s.token)[0]
        out["baseline GET /api/v2/dags (ms)"] = statistics.median(
            _timed_get(s.base, "/api/v2/dags", s.token)[0] for _ in range(pages)
        )
        walls, renders, browser_ms, cached_ms = [], [], [], []
        with chromium_page(chromium) as page:
            page.set_cookie(s.base, "_token", s.token)
            for d in picks:  # nothing cached, measured over HTTP
                republished()
                w, r = _timed_get(s.base, f"/newsflow/?day={d}", s.token)
                walls.append(w)
                renders.append(r)
            for d in picks:  # nothing cached, measured in Chromium
                republished()
                browser_ms.append(page.goto(f"{s.base}/newsflow/?day={d}"))
            republished()
            page.goto(f"{s.base}/newsflow/")  # the trend is cached from here on
            for d in picks:  # a day not viewed yet (its figures are cached after)
                browser_ms_day = page.goto(f"{s.base}/newsflow/?day={d}")
                cached_ms.append(page.goto(f"{s.base}/newsflow/?day={d}"))
                out.setdefault("_day", []).append(browser_ms_day)
        out["uncached page, server render (ms)"] = statistics.median(renders)
        out["uncached page, HTTP wall (ms)"] = statistics.median(walls)
        out["uncached page, Chromium load (ms)"] = statistics.median(browser_ms)
        out["uncached page, Chromium load max (ms)"] = max(browser_ms)
        out["new day, trend cached, Chromium (ms)"] = statistics.median(out.pop("_day"))
        out["cached page, Chromium load (ms)"] = statistics.median(cached_ms)
        out["/api/days JSON (ms)"] = statistics.median(
            _timed_get(s.base, "/newsflow/api/days", s.token)[0] for _ in range(pages)
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=100)
    ap.add_argument("--articles", type=int, default=300, help="articles per day")
    ap.add_argument("--pages", type=int, default=10, help="day pages measured per kind")
    args = ap.parse_args()
    chromium = chromium_binary()
    if chromium is None:
        print("needs chromium (apt-get install -y chromium)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="newsflow-uibench-"))
    try:
        results = {}
        for ndays in (1, args.days):
            lake = work / f"lake-{ndays}"
            t = time.perf_counter()
            make_lake(lake, days=ndays, articles_per_day=args.articles, start=START)
            size = sum(f.stat().st_size for f in lake.rglob("*.parquet"))
            print(
                f"lake of {ndays} days x {args.articles} articles: {size / 1e3:.0f} kB Parquet, built in {time.perf_counter() - t:.1f}s"
            )
            results[ndays] = measure(lake, ndays, args.pages, chromium, work)
        print(f"\ncores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
        print(f"{'measure':42} {'1 day':>9} {f'{args.days} days':>9} {'ratio':>7}")
        for key in results[args.days]:
            a, b = results[1][key], results[args.days][key]
            print(f"{key:42} {a:9.0f} {b:9.0f} {b / a if a else float('nan'):7.2f}")
        page = results[args.days]["uncached page, Chromium load (ms)"]
        base = results[args.days]["baseline GET /api/v2/dags (ms)"]
        print(f"\nuncached {args.days}-day page / Airflow's GET /api/v2/dags: {page / base:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
