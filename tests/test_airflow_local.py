"""`make airflow` as the README tells a newcomer to use it, in a real headless Chromium.

Starts the real target (``make airflow PORT=<free> AIRFLOW_HOME=<tmp> LAKE=<tmp>``) in a
shell-like process group and a clean environment, takes the login and the trigger form's
values from what it prints, logs in on the UI's login page, fills news_daily's trigger
form for the bundled sample day and submits it, then waits over REST until the run is
green and reads the day's articles from the lake. Ends with Ctrl-C (SIGINT to the
group, as a terminal sends it) and checks that no process of the deployment is left.
Prints the time from launch to the green run.
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
import pyarrow.parquet as pq
import pytest
from support import FIGURES, REPO, SAMPLE, SAMPLE_DAY
from support.airflow_stack import free_port
from support.browser import Page, chromium_binary, chromium_page

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TRIGGER_TIMEOUT = 900  # s: the run, behind a scheduled run the unpausing may start first


def _shell_env() -> dict[str, str]:
    """A newcomer's shell: none of the suite's Airflow or newsflow settings."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSFLOW_", "PYTEST_"))
    }


def _deployment_pids(home: Path) -> list[int]:
    """Live processes whose environment names this deployment's AIRFLOW_HOME (the
    components, their children and task processes)."""
    marker = f"AIRFLOW_HOME={home}\0".encode()
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if marker in Path(f"/proc/{pid}/environ").read_bytes():
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    pids.append(int(pid))
    return pids


def _banner(out: Path, make: subprocess.Popen[bytes], timeout: float = 300) -> dict[str, str]:
    """The launcher's printout once Airflow is up: URL, login and the form's values."""
    deadline = time.monotonic() + timeout
    while "Ctrl-C stops" not in (text := out.read_text()):
        if make.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"make airflow did not come up (exit {make.poll()}):\n{text[-3000:]}")
        time.sleep(0.5)
    fields = {
        "url": r"Airflow is up: (\S+)",
        "login": r"log in as\s+(\S+ / \S+)",
        "day": r"Day\s+(\S+)",
        "inbox": r"Inbox\s+(\S+)",
        "lake": r"Lake\s+(\S+)",
    }
    found = {k: re.search(rx, text) for k, rx in fields.items()}
    assert all(found.values()), text
    return {k: m.group(1) for k, m in found.items() if m}


def _wait(page: Page, js: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(js):
        if time.monotonic() > deadline:
            raise TimeoutError(js)
        time.sleep(0.3)


def _type(page: Page, selector: str, text: str) -> None:
    """Type into a field as a user would (focus, select what is there, type). A native
    date picker takes no typed text, so its value is set the way the picker sets it."""
    kind = page.evaluate(
        f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            if (!e) return null; e.focus(); if (e.select) e.select(); return e.type; }})()"""
    )
    assert kind is not None, f"no field {selector}"
    if kind == "date":
        page.evaluate(
            f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
                Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')
                  .set.call(e, {json.dumps(text)});
                e.dispatchEvent(new Event('input', {{bubbles: true}}));
                e.dispatchEvent(new Event('change', {{bubbles: true}})); }})()"""
        )
    else:
        page.send("Input.insertText", {"text": text})
    assert page.evaluate(f"document.querySelector({json.dumps(selector)}).value") == text


FORM = "[role=dialog][data-state=open]"  # the open dialog (closed popovers are dialogs too)


def _field(param: str) -> str:
    """The trigger form names a Param's field ``element_<param>``."""
    return f"{FORM} [name=element_{param}]"


def _click(page: Page, text: str, scope: str = "") -> None:
    js = f"""[...document.querySelectorAll({json.dumps(scope + " button")})]
             .find(b => b.innerText.trim() === {json.dumps(text)})"""
    _wait(page, f"!!{js}")
    page.evaluate(f"{js}.click()")


def _trigger_in_ui(page: Page, url: str, login: str, values: dict[str, str]) -> None:
    """Log in on the login page, open news_daily's trigger form, fill it, submit."""
    user, password = login.split(" / ")
    page.goto(f"{url}/")
    _wait(page, "!!document.querySelector('input[name=password]')")
    _type(page, "input[name=username]", user)
    _type(page, "input[name=password]", password)
    _click(page, "Sign in")
    _wait(page, "!location.pathname.startsWith('/auth')")
    page.goto(f"{url}/dags/news_daily")
    _click(page, "Trigger")
    _wait(page, f"!!document.querySelector({json.dumps(_field('inbox'))})")
    for name in ("day", "inbox", "lake"):
        _type(page, _field(name), values[name])
    page.evaluate(f"document.querySelector('{FORM} [data-testid=trigger-dag-submit]').click()")
    _wait(page, f"!document.querySelector('{FORM}')")  # the form closes once the run exists


def _green_run(url: str, login: str, day: str, timeout: float) -> dict:
    """Wait over REST for the run of ``day`` the form created; returns it once finished."""
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
        assert len(mine) <= 1, mine
        if mine and mine[0]["state"] in ("success", "failed"):
            return mine[0]
        time.sleep(2)
    raise TimeoutError(f"no finished news_daily run for {day} after {timeout}s")


def test_make_airflow_then_trigger_the_sample_day_in_the_ui(tmp_path: Path) -> None:
    chromium = chromium_binary()
    if chromium is None:
        pytest.fail("chromium is missing (apt-get install chromium)")
    home, lake, out = tmp_path / "airflow", tmp_path / "lake", tmp_path / "make.out"
    started = time.monotonic()
    with open(out, "wb") as sink:
        make = subprocess.Popen(
            # -o: the venv running this test is the one to use; never rebuild it here
            ["make", "-o", ".venv/.installed", "airflow"]
            + [f"PORT={free_port()}", f"AIRFLOW_HOME={home}", f"LAKE={lake}"],
            cwd=REPO,
            env=_shell_env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group, like a shell's foreground job
        )
    try:
        shown = _banner(out, make)
        assert shown["login"] == "admin / admin"
        assert (shown["day"], shown["inbox"]) == (SAMPLE_DAY, str(SAMPLE / "inbox"))
        assert shown["lake"] == str(lake)
        assert len(_deployment_pids(home)) >= 4  # the check below can see the processes
        with chromium_page(chromium) as page:
            _trigger_in_ui(page, shown["url"], shown["login"], shown)
        run = _green_run(shown["url"], shown["login"], SAMPLE_DAY, TRIGGER_TIMEOUT)
        elapsed = time.monotonic() - started
        assert run["state"] == "success", run
        assert run["conf"]["inbox"] == shown["inbox"] and run["conf"]["lake"] == shown["lake"]
        expected = json.loads((SAMPLE / "expected.json").read_text())
        articles = pq.read_table(lake / "articles" / f"dt={SAMPLE_DAY}")
        assert articles.num_rows == expected["inputs"] - len(expected["rejects"])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        code = make.wait(timeout=60)
    assert code in (0, -signal.SIGINT), out.read_text()[-3000:]  # make re-raises Ctrl-C
    assert "Airflow stopped." in out.read_text()
    assert _deployment_pids(home) == []
    FIGURES["make airflow"] = {"launch to a green sample run (s)": round(elapsed, 1)}
    print(f"\nmake airflow: {elapsed:.0f} s from launch to a green sample run")
