"""`make airflow` and the Airflow UI as a newcomer uses them: start the target, read what
it prints, log in on the login page, fill news_daily's trigger form, stop with Ctrl-C.

Used by ``tests/test_airflow_local.py`` and ``docs/screenshots.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx

from support import REPO
from support.airflow_stack import free_port
from support.browser import Page

# the open dialog: closed popovers (the grid's options) are dialogs too
FORM = "[role=dialog][data-state=open]"
BANNER = {
    "url": r"Airflow is up: (\S+)",
    "login": r"log in as\s+(\S+ / \S+)",
    "day": r"Day\s+(\S+)",
    "inbox": r"Inbox\s+(\S+)",
    "lake": r"Lake\s+(\S+)",
}


class MakeAirflow:
    """``make airflow`` on a free port with its own AIRFLOW_HOME and lake, started in a
    clean environment and a process group of its own, as a shell's foreground job is."""

    def __init__(self, home: Path, lake: Path) -> None:
        self.home, self.lake, self.out = home, lake, home.parent / "make-airflow.out"
        self.shown: dict[str, str] = {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 300) -> dict[str, str]:
        """Start it; returns the printout (url, login, day, inbox, lake) once Airflow is up."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW", "NEWSFLOW_", "PYTEST_"))
        }
        self.home.parent.mkdir(parents=True, exist_ok=True)
        with open(self.out, "wb") as sink:
            self.proc = subprocess.Popen(
                # -o: the venv running this is the one to use; never rebuild it here
                ["make", "-o", ".venv/.installed", "airflow"]
                + [f"PORT={free_port()}", f"AIRFLOW_HOME={self.home}", f"LAKE={self.lake}"],
                cwd=REPO,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while "Ctrl-C stops" not in (text := self.output()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"make airflow did not come up:\n{text[-3000:]}")
            time.sleep(0.5)
        found = {k: re.search(rx, text) for k, rx in BANNER.items()}
        self.shown = {k: m.group(1) for k, m in found.items() if m}
        return self.shown

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def stop(self) -> int | None:
        """Ctrl-C: SIGINT to the group, as a terminal sends it; make's exit code."""
        if self.proc is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)
        return self.proc.wait(timeout=90)

    def pids(self) -> list[int]:
        """Live processes whose environment names this AIRFLOW_HOME: the components, their
        children and task processes (other groups than make's, so found this way)."""
        marker = f"AIRFLOW_HOME={self.home}\0".encode()
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            with contextlib.suppress(OSError):
                if marker in Path(f"/proc/{pid}/environ").read_bytes():
                    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        pids.append(int(pid))
        return pids


# what Chromium answers when the page navigates while an expression runs (the UI
# redirecting to its login page): the next try sees the new page
NAVIGATING = ("navigated or closed", "Cannot find context")


def wait(page: Page, js: str, timeout: float = 60) -> None:
    """Until ``js`` is true on the page, across the page's own navigations."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(js):
                return
        except RuntimeError as e:
            if not any(m in str(e) for m in NAVIGATING):
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(js)
        time.sleep(0.3)


def type_into(page: Page, selector: str, text: str) -> None:
    """Type into a field as a user would (focus, select what is there, type). A native
    date picker takes no typed text, so its value is set the way the picker sets it."""
    sel = json.dumps(selector)
    kind = page.evaluate(
        f"""(() => {{ const e = document.querySelector({sel});
            if (!e) return null; e.focus(); if (e.select) e.select(); return e.type; }})()"""
    )
    if kind is None:
        raise LookupError(f"no field {selector}")
    if kind == "date":
        page.evaluate(
            f"""(() => {{ const e = document.querySelector({sel});
                Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')
                  .set.call(e, {json.dumps(text)});
                e.dispatchEvent(new Event('input', {{bubbles: true}}));
                e.dispatchEvent(new Event('change', {{bubbles: true}})); }})()"""
        )
    else:
        page.send("Input.insertText", {"text": text})
    if page.evaluate(f"document.querySelector({sel}).value") != text:
        raise AssertionError(f"{selector} did not take {text!r}")


def click(page: Page, text: str, scope: str = "") -> None:
    """Click the button labelled ``text`` once it is there."""
    js = f"""[...document.querySelectorAll({json.dumps(f"{scope} button".strip())})]
             .find(b => b.innerText.trim() === {json.dumps(text)})"""
    wait(page, f"!!{js}")
    page.evaluate(f"{js}.click()")


def log_in(page: Page, url: str, login: str) -> None:
    """Sign in on the login page the UI redirects to ("user / password")."""
    user, password = login.split(" / ")
    page.navigate(f"{url}/")
    wait(page, "!!document.querySelector('input[name=password]')")
    type_into(page, "input[name=username]", user)
    type_into(page, "input[name=password]", password)
    click(page, "Sign in")
    wait(page, "!location.pathname.startsWith('/auth')")


def field(param: str) -> str:
    """The trigger form names a Param's field ``element_<param>``."""
    return f"{FORM} [name=element_{param}]"


def fill_trigger_form(page: Page, url: str, values: dict[str, str]) -> None:
    """Open news_daily's trigger form and type the day, inbox and lake."""
    page.navigate(f"{url}/dags/news_daily")
    click(page, "Trigger")
    wait(page, f"!!document.querySelector({json.dumps(field('inbox'))})")
    for name in ("day", "inbox", "lake"):
        type_into(page, field(name), values[name])


def submit_trigger_form(page: Page) -> None:
    page.evaluate(f"document.querySelector('{FORM} [data-testid=trigger-dag-submit]').click()")
    wait(page, f"!document.querySelector('{FORM}')")  # the form closes once the run exists


def submit_refused(page: Page) -> str:
    """Submit a form Airflow refuses; the form stays open and shows why: its text."""
    page.evaluate(f"document.querySelector('{FORM} [data-testid=trigger-dag-submit]').click()")
    wait(page, f"document.querySelector('{FORM}')?.innerText.includes('is refused')")
    return page.evaluate(f"document.querySelector('{FORM}').innerText")


def finished_run(url: str, login: str, day: str, timeout: float) -> dict:
    """Wait over REST for the one run of ``day`` (the form's); returns it once finished."""
    user, password = login.split(" / ")
    token = httpx.post(
        f"{url}/auth/token", json={"username": user, "password": password}, timeout=30
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = httpx.get(
            f"{url}/api/v2/dags/news_daily/dagRuns", headers=headers, timeout=30
        ).json()["dag_runs"]
        mine = [r for r in runs if (r.get("conf") or {}).get("day") == day]
        if len(mine) > 1:
            raise AssertionError(f"more than one run of {day}: {mine}")
        if mine and mine[0]["state"] in ("success", "failed"):
            return mine[0]
        time.sleep(2)
    raise TimeoutError(f"no finished news_daily run for {day} after {timeout}s")
