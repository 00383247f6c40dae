"""Headless Chromium driven over the Chrome DevTools Protocol (a few commands over one
websocket), for the UI test and the page-load benchmark.

Why CDP and not ``chromium --screenshot``: the page needs the Airflow session cookie
(``_token``, HttpOnly) exactly as the Airflow UI sets it at login, and a plain
``--screenshot`` run cannot set cookies. A token in the URL would work but would teach
the plugin to accept credentials in URLs (logs, history), which it must not.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from newsflow.procgroups import stop_group
from websockets.sync.client import connect

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1400,1000",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    """One browser tab: navigate, wait for load, evaluate, screenshot."""

    def __init__(self, ws, session: str) -> None:
        self._ws, self._session, self._ids = ws, session, itertools.count(1)

    def send(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        msg_id = next(self._ids)
        self._ws.send(
            json.dumps(
                {"id": msg_id, "sessionId": self._session, "method": method, "params": params or {}}
            )
        )
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._events.append(msg)

    _events: list[dict]

    def wait_event(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self._events):
                if ev.get("method") == method:
                    return self._events.pop(i)
            msg = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            self._events.append(msg)

    def set_cookie(self, url: str, name: str, value: str) -> None:
        self.send("Network.setCookie", {"url": url, "name": name, "value": value, "httpOnly": True})

    def navigate(self, url: str) -> None:
        """Navigate and wait for the load event. The page may navigate again on its own
        (the Airflow UI redirects to its login page), so nothing is read from it here."""
        self._events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def goto(self, url: str) -> float:
        """Navigate and return the page's own load time in ms (Navigation Timing: request
        start to the end of the load event), for pages that do not redirect themselves."""
        self.navigate(url)
        return float(
            self.evaluate(
                "(() => { const t = performance.getEntriesByType('navigation')[0];"
                " return t.loadEventEnd - t.startTime; })()"
            )
        )

    def evaluate(self, expression: str):
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return res["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        res = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(res["data"]))
        return path


@contextlib.contextmanager
def chromium_page(binary: str) -> Iterator[Page]:
    """A headless Chromium in its own process group and profile, always torn down."""
    profile = Path(tempfile.mkdtemp(prefix="newsflow-chromium-"))
    proc = subprocess.Popen(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromium did not start (exit code {proc.poll()})")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        with connect(f"ws://127.0.0.1:{port}{path}", max_size=64 * 1024 * 1024) as ws:
            ws.send(
                json.dumps(
                    {"id": 1, "method": "Target.createTarget", "params": {"url": "about:blank"}}
                )
            )
            target = _reply(ws, 1)["targetId"]
            ws.send(
                json.dumps(
                    {
                        "id": 2,
                        "method": "Target.attachToTarget",
                        "params": {"targetId": target, "flatten": True},
                    }
                )
            )
            page = Page(ws, _reply(ws, 2)["sessionId"])
            page._events = []
            page.send("Page.enable")
            page.send("Network.enable")
            page.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
            )
            yield page
    finally:
        stop_group(proc, grace=10)
        shutil.rmtree(profile, ignore_errors=True)


def _reply(ws, msg_id: int) -> dict:
    while True:
        msg = json.loads(ws.recv(timeout=30))
        if msg.get("id") == msg_id:
            if "error" in msg:
                raise RuntimeError(str(msg["error"]))
            return msg["result"]
