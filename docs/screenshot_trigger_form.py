"""Take docs/trigger-form.png: news_daily's trigger form in the Airflow 3 UI.

Starts a throw-away Airflow (LocalExecutor, SQLite; tests/support/airflow_stack.py) with every
user an admin (no login page), opens the DAG in headless Chromium, clicks "Trigger" and
captures the form, driving Chromium over the DevTools protocol. Needs Debian's
`chromium` (apt-get install chromium).

    .venv/bin/python docs/screenshot_trigger_form.py [OUT.png]
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from support.airflow_stack import AirflowStack, free_port  # noqa: E402

CLICK_TRIGGER = """
(() => {
  const b = [...document.querySelectorAll('button')].find(x => x.innerText.trim() === 'Trigger');
  if (b) { b.click(); return true; }
  return false;
})()
"""
FORM_OPEN = "!!document.querySelector('[role=dialog]')"


class Page:
    """The smallest DevTools-protocol client: evaluate JS, take a screenshot."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.n = 0

    def call(self, method: str, **params) -> dict:
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def eval(self, js: str):
        return self.call("Runtime.evaluate", expression=js, returnByValue=True)["result"].get(
            "value"
        )

    def wait_for(self, js: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.eval(js):
            if time.monotonic() > deadline:
                raise TimeoutError(js)
            time.sleep(0.5)


def main(out: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="newsflow-shot-"))
    stack = AirflowStack(
        tmp / "airflow",
        executor="LocalExecutor",
        env_extra={"AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"},
    )
    port = free_port()
    with stack:
        stack.start(pools={"newsflow_fetch": 4})
        chrome = subprocess.Popen(
            [
                "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={tmp / 'chrome'}",
                f"--remote-debugging-port={port}",
                "--window-size=1280,1100",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    pages = httpx.get(f"http://127.0.0.1:{port}/json/list").json()
                    page = next(p for p in pages if p["type"] == "page")
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("chromium did not start")
                time.sleep(0.5)
            with connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
                shoot(Page(ws), stack.url, out)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(chrome.pid, signal.SIGKILL)
            chrome.wait()


def shoot(p: Page, url: str, out: Path) -> None:
    """Open news_daily, click Trigger, unfold the Params, capture the page."""
    p.call("Page.enable")
    p.call("Page.navigate", url=f"{url}/dags/news_daily")
    p.wait_for(CLICK_TRIGGER)
    p.wait_for(FORM_OPEN)
    time.sleep(3)  # let the form's fields render
    # open the "Run Parameters" section when it is collapsed
    p.eval(
        """[...document.querySelectorAll('[role=dialog] button')]
           .filter(b => /Run Parameters/i.test(b.innerText)
                        && b.getAttribute('aria-expanded') === 'false')
           .forEach(b => b.click())"""
    )
    time.sleep(2)
    shot = p.call("Page.captureScreenshot", format="png")
    out.write_bytes(base64.b64decode(shot["data"]))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "trigger-form.png")
