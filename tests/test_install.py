"""newsflow installed into an existing Airflow 3, as a user with their own deployment does
it: the built wheel on top of the runtime lock (``requirements-prod.lock``: Airflow and
everything the package needs), ``dags/`` and ``plugins/`` copied into their AIRFLOW_HOME.

Everything runs in a fresh venv made with uv, in subprocesses, from a temporary folder:
the checkout's ``include/`` is never on the path, so a module, template or sample file
the wheel lacks, or a dependency the lock lacks, fails here. uv's cache makes the
installs take seconds; the DAG runs take most of the time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from support import (
    AP_FARM,
    FARM,
    FIGURES,
    KYODO,
    PAIR,
    PAIR_NAMES,
    REPO,
    SAMPLE,
    SEEDS,
    farm_copy_is_clean,
    one_story_two_texts,
)

pytestmark = pytest.mark.slow

PACKAGE = REPO / "include" / "newsflow"


def _uv() -> list[str]:
    """The uv command: on PATH, or the module of the interpreter this venv was made from
    (where ``make venv`` installs it)."""
    if found := shutil.which("uv"):
        return [found]
    base = getattr(sys, "_base_executable", sys.executable)
    if subprocess.run([base, "-m", "uv", "--version"], capture_output=True).returncode == 0:
        return [base, "-m", "uv"]
    pytest.fail("uv is missing: `make venv` installs it (python3 -m pip install uv)")


def _run(cmd: list[str], *, timeout: float, **kw) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; on failure, fail the test with the end of its output."""
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if r.returncode != 0:
        pytest.fail(f"{cmd[:4]} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}")
    return r


@dataclass
class Deployment:
    """A venv with the wheel installed and an AIRFLOW_HOME holding dags/ and plugins/."""

    root: Path
    wheel: Path
    python: Path
    env: dict[str, str]

    def airflow(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return _run(
            [str(self.python.parent / "airflow"), *args],
            env=self.env,
            cwd=self.root,
            timeout=timeout,
        )

    def python_c(self, code: str) -> str:
        return _run([str(self.python), "-c", code], env=self.env, cwd=self.root, timeout=300).stdout

    def dags_test(self, day: str, inbox: Path) -> Path:
        """``airflow dags test news_daily`` for ``day``; returns the lake it wrote."""
        lake = self.root / f"lake-{day}"
        started = time.perf_counter()
        self.airflow(
            "dags",
            "test",
            "news_daily",
            "-c",
            json.dumps({"day": day, "inbox": str(inbox), "lake": str(lake)}),
        )
        FIGURES[f"installed wheel: airflow dags test {day}"] = {
            "seconds": round(time.perf_counter() - started, 1)
        }
        return lake


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Deployment:
    """Build the wheel from a copy of the sources, make a venv, install the lock and the
    wheel (``--no-deps``: the lock is the whole set), copy dags/ and plugins/ into a new
    AIRFLOW_HOME and migrate its database."""
    root = tmp_path_factory.mktemp("install")
    uv = _uv()
    started = time.perf_counter()
    # a copy as a fresh clone has it, so the build's build/ and *.egg-info never land in
    # the checkout, and the editable install's egg-info (whose file list setuptools would
    # add to the wheel) does not hide a file missing from the package data
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(
        REPO / "include",
        src / "include",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    _run([*uv, "build", "--wheel", "--out-dir", str(root / "dist"), str(src)], timeout=300)
    (wheel,) = (root / "dist").glob("newsflow-*.whl")

    venv = root / "venv"
    python = venv / "bin" / "python"
    _run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], timeout=120)
    lock = REPO / "requirements-prod.lock"
    _run([*uv, "pip", "sync", "--require-hashes", "--python", str(python), str(lock)], timeout=900)
    _run([*uv, "pip", "install", "--no-deps", "--python", str(python), str(wheel)], timeout=300)
    # the wheel's declared dependencies are all in the lock, at versions it accepts
    _run([*uv, "pip", "check", "--python", str(python)], timeout=120)

    home = root / "airflow-home"
    for folder in ("dags", "plugins"):
        shutil.copytree(REPO / folder, home / folder, ignore=shutil.ignore_patterns("__pycache__"))
    # only what a deployment sets: nothing of the test session's Airflow, venv or paths
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "NEWSFLOW_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        {
            "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(venv),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
            "NEWSFLOW_PARAM_ROOTS": str(root),  # the runs' inbox and lake live here
        }
    )
    d = Deployment(root, wheel, python, env)
    d.airflow("db", "migrate")
    FIGURES["installed wheel: build, venv, installs, db migrate"] = {
        "seconds": round(time.perf_counter() - started, 1)
    }
    return d


def test_the_wheel_has_the_package_data_and_no_tests(deployment: Deployment) -> None:
    names = set(zipfile.ZipFile(deployment.wheel).namelist())
    wanted = {
        "newsflow/" + p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert {n for n in wanted if n.startswith("newsflow/templates/")} >= {
        "newsflow/templates/report.html.j2",
        "newsflow/templates/macros.html.j2",
        "newsflow/templates/report.css",
    }
    assert {n for n in wanted if n.startswith("newsflow/sample/inbox/")}  # the sample corpus
    assert wanted <= names, sorted(wanted - names)  # every module, template, sample file
    packaged = {n for n in names if not n.startswith("newsflow-")}  # minus dist-info
    assert packaged == wanted, sorted(packaged - wanted)  # and nothing else: no tests
    assert not any(n.startswith(("tests/", "support/", "dags/", "plugins/")) for n in names)


def test_dags_and_plugin_load_from_the_installed_package(deployment: Deployment) -> None:
    out = deployment.python_c(
        "import json, newsflow\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "from airflow.configuration import conf\n"
        "bag = DagBag(dag_folder=conf.get('core', 'dags_folder'))\n"
        "print(json.dumps({'file': newsflow.__file__, 'errors': {k: str(v) for k, v in"
        " bag.import_errors.items()}, 'dags': sorted(bag.dag_ids)}))"
    )
    got = json.loads(out.strip().splitlines()[-1])
    assert got["errors"] == {}
    assert "news_daily" in got["dags"]
    # the installed wheel, not the checkout
    assert Path(got["file"]).is_relative_to(deployment.root / "venv"), got["file"]
    plugins = json.loads(deployment.airflow("plugins", "--output", "json").stdout)
    assert sorted(p["name"] for p in plugins) == ["newsflow_lake", "newsflow_runs"]


def test_news_daily_runs_on_the_sample_pair(deployment: Deployment) -> None:
    day = "2024-05-14"
    inbox = deployment.root / "pair-inbox"
    (inbox / day).mkdir(parents=True)
    for name in PAIR:
        shutil.copy(SAMPLE / "inbox" / day / name, inbox / day / name)
    lake = deployment.dags_test(day, inbox)

    a = pd.read_parquet(lake / "articles").set_index("source_uri")
    assert sorted(a.index) == sorted(PAIR)
    farm_copy_is_clean(a.loc[FARM])
    one_story_two_texts(a, lake, day, PAIR_NAMES)
    # the report, from the templates shipped in the wheel
    html = lake / "_reports" / f"dt={day}" / "report.html"
    assert html.stat().st_size > 10_000
    # the console script the wheel declares rewrites it
    html.unlink()
    newsflow = str(deployment.python.parent / "newsflow")
    _run(
        [newsflow, "report", "--lake", str(lake), "--day", day],
        env=deployment.env,
        cwd=deployment.root,
        timeout=300,
    )
    assert html.stat().st_size > 10_000


@pytest.mark.shared
def test_news_daily_runs_on_the_seeds(deployment: Deployment) -> None:
    day = "2023-11-27"
    inbox = deployment.root / "seed-inbox"
    (inbox / day).mkdir(parents=True)
    for name in (KYODO, AP_FARM):
        shutil.copy(SEEDS / name, inbox / day / name)
    lake = deployment.dags_test(day, inbox)

    a = pd.read_parquet(lake / "articles").set_index("source_uri")
    assert sorted(a.index) == [KYODO, AP_FARM]
    assert a.loc[AP_FARM].text.startswith("TOKYO (AP) —")
    one_story_two_texts(
        a, lake, day, {"Fumio Kishida", "Vo Van Thuong", "Japan", "Vietnam", "China", "Tokyo"}
    )
