"""Shared fixtures. Airflow gets its own throw-away home and SQLite database, set up
before anything imports Airflow, so tests never touch a developer's real Airflow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support import (
    AP_FARM,
    FIGURES,
    HAS_SHARED,
    KYODO,
    NO_SHARED,
    PAIR,
    REPO,
    SAMPLE_DAY,
    SAMPLE_INBOX,
    SEEDS,
)

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="newsflow-airflow-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "NEWSFLOW_RETRY_DELAY_SECONDS": "0.5",  # failing-task tests retry quickly
        # runs' inbox/lake Params may point anywhere under the temp dir (tmp_path)
        "NEWSFLOW_PARAM_ROOTS": tempfile.gettempdir(),
    }
)
for var in ("NEWSFLOW_CONFIG", "NEWSFLOW_INBOX", "NEWSFLOW_LAKE"):
    os.environ.pop(var, None)


def pytest_collection_modifyitems(config, items) -> None:
    """Without ../shared beside the checkout, every test marked ``shared`` (or asking for
    the seeds) is skipped, all with the one reason."""
    if HAS_SHARED:
        return
    skip = pytest.mark.skip(reason=NO_SHARED)
    for item in items:
        if item.get_closest_marker("shared") or "seed_inbox" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated Airflow metadata database (SQLite) for dag.test()."""
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [str(bindir / "airflow"), "db", "migrate"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return _AIRFLOW_HOME


@pytest.fixture
def seed_inbox(tmp_path: Path) -> tuple[Path, str]:
    """An inbox holding the two seed texts (``../shared/seeds``) for their event's day."""
    day = "2023-11-27"
    d = tmp_path / "inbox" / day
    d.mkdir(parents=True)
    for name in (KYODO, AP_FARM):
        shutil.copy(SEEDS / name, d / name)
    return tmp_path / "inbox", day


@pytest.fixture
def pair_inbox(tmp_path: Path) -> tuple[Path, str]:
    """The seeds' self-written twin from the sample corpus, for tests that need realistic
    news rather than those exact texts: an AP text on a content farm (chrome, a dateline)
    and another paper's report of the same event (story S9), for the sample day."""
    d = tmp_path / "inbox" / SAMPLE_DAY
    d.mkdir(parents=True)
    for name in PAIR:
        shutil.copy(SAMPLE_INBOX / name, d / name)
    return tmp_path / "inbox", SAMPLE_DAY


def pytest_terminal_summary(terminalreporter) -> None:
    for name, figures in FIGURES.items():
        terminalreporter.write_line(
            f"figures {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items())
        )
