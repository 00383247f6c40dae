"""A real Airflow 3 deployment as local processes: the production topology without containers.

``AirflowStack`` migrates a metadata database, then starts the api-server, scheduler,
dag-processor and (for the CeleryExecutor) two Celery workers (``WORKERS``, one slot each,
told apart by ``tests/support/worker_name.py``) as separate processes, each in its own process group, and talks to them over the REST API like a user would. ``stop()``
(also on any error, and from ``with``) terminates every process group and waits for it,
so a test never leaves processes behind.

Used by ``tests/test_e2e_rest.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from newsflow.procgroups import stop_groups

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG = "postgres@127.0.0.1:5432"
WORKERS = ("worker-a", "worker-b")
REDIS = "127.0.0.1:6379"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql: str, db: str = "postgres") -> None:
    """Run one statement on the local Postgres (trust auth) through psycopg2."""
    import psycopg2

    con = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=db)
    con.autocommit = True
    try:
        con.cursor().execute(sql)
    finally:
        con.close()


def reachable(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


@dataclass
class AirflowStack:
    """One Airflow deployment under ``home``. ``executor`` is ``CeleryExecutor`` (Postgres
    + Redis) or ``LocalExecutor`` (SQLite)."""

    home: Path
    executor: str = "CeleryExecutor"
    env_extra: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    database: str | None = None
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    started_at: float = 0.0
    _token: str | None = None

    # ------------------------------------------------------------------ set-up
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW__", "PYTEST_")) and k != "AIRFLOW_HOME"
        }
        env.update(
            {
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
                "AIRFLOW__CORE__EXECUTOR": self.executor,
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__BASE_URL": self.url,
                "AIRFLOW__API_AUTH__JWT_SECRET": self._secret,
                "AIRFLOW__API__SECRET_KEY": self._secret,
                # parse the DAG folder often, schedule promptly: the test waits on both
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            }
        )
        if self.executor == "CeleryExecutor":
            pg = f"{PG}/{self.database}"
            env.update(
                {
                    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}",
                    "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS}/{self._redis_db}",
                    "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{pg}",
                    "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
                }
            )
        else:
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{self.home}/airflow.db"
            env["AIRFLOW__CORE__PARALLELISM"] = "2"
        env.update(self.env_extra)
        return env

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "logs").mkdir(exist_ok=True)
        self._secret = secrets.token_hex(32)
        self._redis_db = secrets.randbelow(14) + 1
        if self.executor == "CeleryExecutor" and self.database is None:
            self.database = f"newsflow_ci_{secrets.token_hex(4)}"

    def airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run an ``airflow`` CLI command against this deployment."""
        return subprocess.run(
            [str(BIN / "airflow"), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
            cwd=self.home,
        )

    def _spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        log = open(self.home / "logs" / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(
            [str(BIN / "airflow"), *args],
            env={**self.env(), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: stop() ends its children too
            cwd=self.home,
        )
        log.close()

    def start(self, pools: dict[str, int] | None = None) -> AirflowStack:
        """Migrate, create pools, start every component; returns once the DAGs are parsed."""
        self.started_at = time.monotonic()
        if self.database:
            psql(f'CREATE DATABASE "{self.database}"')
        try:
            self.airflow("db", "migrate")
            for name, slots in (pools or {}).items():
                self.airflow("pools", "set", name, str(slots), f"{name} (tests)")
            self._spawn("api-server", "api-server", "--host", "127.0.0.1", "--port", str(self.port))
            self._spawn("scheduler", "scheduler")
            self._spawn("dag-processor", "dag-processor")
            if self.executor == "CeleryExecutor":
                # two workers of one slot each, as two machines would be: mapped shards
                # spread over both (each its own name and log-server port)
                for name in WORKERS:
                    self._spawn(
                        name,
                        "celery",
                        "worker",
                        "--concurrency",
                        "1",
                        "--celery-hostname",
                        f"{name}@%h",
                        env={
                            "NEWSFLOW_TEST_WORKER": name,
                            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "worker_name.hostname",
                            "AIRFLOW__CELERY__WORKER_LOG_SERVER_PORT": str(free_port()),
                            "PYTHONPATH": os.pathsep.join(
                                filter(
                                    None,
                                    [str(REPO / "tests" / "support"), os.environ.get("PYTHONPATH")],
                                )
                            ),
                        },
                    )
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            with contextlib.suppress(httpx.HTTPError, KeyError):
                health = httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5).json()
                if health["scheduler"]["status"] == "healthy" and self.get("/dags/news_daily").get(
                    "dag_id"
                ):
                    return
            time.sleep(1)
        raise TimeoutError(f"Airflow not ready after {timeout}s; logs in {self.home / 'logs'}")

    def _check_alive(self) -> None:
        for name, p in self.procs.items():
            if p.poll() is not None:
                tail = (self.home / "logs" / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"airflow {name} exited with {p.returncode}:\n{tail}")

    # ------------------------------------------------------------------ REST
    def token(self) -> str:
        if self._token is None:
            r = httpx.post(
                f"{self.url}/auth/token",
                json={"username": "admin", "password": self.password()},
                timeout=30,
            )
            r.raise_for_status()
            self._token = r.json()["access_token"]
        return self._token

    def password(self) -> str:
        f = self.home / "simple_auth_manager_passwords.json.generated"
        return json.loads(f.read_text())["admin"]

    def request(self, method: str, path: str, **kw) -> httpx.Response:
        headers = kw.pop("headers", {})
        if self.env_extra.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS") != "True":
            headers = {"Authorization": f"Bearer {self.token()}", **headers}
        return httpx.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=30, **kw)

    def get(self, path: str, **kw) -> dict:
        r = self.request("GET", path, **kw)
        r.raise_for_status()
        return r.json()

    def trigger(self, dag_id: str, conf: dict, logical_date: str | None = None) -> httpx.Response:
        """POST a DAG run. On SQLite the api-server's audit-log insert can meet "database
        is locked" while the scheduler writes; that 500 is raised before any run is
        created, so it is retried a few times (any other answer is returned as is)."""
        for attempt in range(5):
            r = self.request(
                "POST",
                f"/dags/{dag_id}/dagRuns",
                json={"logical_date": logical_date, "conf": conf},
            )
            if r.status_code != 500 or "Database error" not in r.text:
                return r
            time.sleep(1 + attempt)
        return r

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 300) -> dict:
        """Wait for a DAG run to finish; returns the run."""
        deadline = time.monotonic() + timeout
        path = f"/dags/{dag_id}/dagRuns/{run_id}"
        while time.monotonic() < deadline:
            self._check_alive()
            run = self.get(path)
            if run["state"] in ("success", "failed"):
                return run
            time.sleep(1)
        raise TimeoutError(f"{dag_id} {run_id} not finished after {timeout}s")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    # ------------------------------------------------------------------ tear-down
    def stop(self, grace: float = 20) -> None:
        """SIGTERM every process group, then SIGKILL what is left after ``grace`` s."""
        stop_groups(self.procs.values(), grace)
        if self.database:
            with contextlib.suppress(Exception):
                psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def leftovers(self, wait: float = 15) -> list[int]:
        """Pids still alive in any of the stack's process groups (should be none); waits up
        to ``wait`` s for killed children to be reaped (zombies do not count)."""
        groups = {p.pid for p in self.procs.values()}
        deadline = time.monotonic() + wait
        while True:
            out = []
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                with contextlib.suppress(OSError):
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    fields = stat.rsplit(")", 1)[1].split()  # state, ppid, pgrp, ...
                    if int(fields[2]) in groups and fields[0] != "Z":
                        out.append(int(pid))
            if not out or time.monotonic() > deadline:
                return out
            time.sleep(0.5)

    def __enter__(self) -> AirflowStack:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
