"""Refresh the docs' screenshots from a real `make airflow` and headless Chromium:

- ``docs/trigger-form.png``: news_daily's trigger form, filled in for the sample day as
  `make airflow` says (README "Running Airflow locally");
- ``docs/plugin.png``: the *News lake* view after that run (``--with-lake-view``; waits
  for the run to finish, a few minutes).

Starts `make airflow` on a free port with a throw-away AIRFLOW_HOME and lake, logs in as
a user does, and stops every process at the end (tests/support/airflow_ui.py). Needs
Debian's ``chromium`` (``apt-get install chromium``).

    .venv/bin/python docs/screenshots.py [--with-lake-view]      # or: make screenshots
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / "tests"))
from support.airflow_ui import (  # noqa: E402
    MakeAirflow,
    fill_trigger_form,
    finished_run,
    log_in,
    submit_trigger_form,
    wait,
)
from support.browser import Page, chromium_binary, chromium_page  # noqa: E402


def lake_view(page: Page, url: str) -> None:
    """Open *News lake* (the nav entry's page; the view is an iframe of /newsflow/)."""
    page.goto(f"{url}/plugin/newsflow")
    wait(
        page,
        "(() => { const f = document.querySelector('iframe'), d = f && f.contentDocument;"
        " return !!(d && d.getElementById('n-articles') && d.images.length); })()",
    )
    time.sleep(2)  # the chart's image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--with-lake-view", action="store_true", help="also docs/plugin.png")
    args = ap.parse_args()
    binary = chromium_binary()
    if binary is None:
        sys.exit("chromium is missing (apt-get install chromium)")
    tmp = Path(tempfile.mkdtemp(prefix="newsflow-shots-"))
    airflow = MakeAirflow(tmp / "airflow", tmp / "lake")
    try:
        shown = airflow.start()
        url = shown["url"]
        with chromium_page(binary) as page:
            log_in(page, url, shown["login"])
            fill_trigger_form(page, url, shown)
            time.sleep(1)
            print(f"wrote {page.screenshot(DOCS / 'trigger-form.png')}")
            if args.with_lake_view:
                submit_trigger_form(page)
        if args.with_lake_view:
            # the browser is closed meanwhile: its DevTools socket would time out idle
            run = finished_run(url, shown["login"], shown["day"], timeout=900)
            if run["state"] != "success":
                sys.exit(f"the sample run did not succeed: {run}")
            with chromium_page(binary) as page:
                log_in(page, url, shown["login"])
                lake_view(page, url)
                print(f"wrote {page.screenshot(DOCS / 'plugin.png')}")
    finally:
        airflow.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
