"""A real ``airflow api-server`` on a free port of 127.0.0.1, for the UI test and the
page-load benchmark: simple auth manager with a known admin password, this repo's
plugins folder, the given lake. Its process group is always killed on exit."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from newsflow.procgroups import stop_group

PASSWORD = "newsflow-test-password"


@dataclass
class Server:
    base: str
    token: str
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def api_server(home: Path, lake: Path, *, reserialize: bool = False) -> Iterator[Server]:
    """Start the api-server (AIRFLOW_HOME and a migrated DB come from the environment);
    with ``reserialize`` the DAGs are serialized meanwhile, so runs can be created."""
    (home / "passwords.json").write_text(json.dumps({"admin": PASSWORD}))
    port = free_port()
    bindir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__API_AUTH__JWT_SECRET": "newsflow-ui-test-" + "x" * 48,
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "NEWSFLOW_LAKE": str(lake),
    }
    log_path = home / "api-server.log"
    procs: list[subprocess.Popen] = []
    with open(log_path, "wb") as log:
        try:
            cmd = [str(bindir / "airflow"), "api-server", "--host", "127.0.0.1"]
            procs.append(
                subprocess.Popen(
                    [*cmd, "--port", str(port), "-w", "1"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            if reserialize:
                procs.append(
                    subprocess.Popen(
                        [str(bindir / "airflow"), "dags", "reserialize"],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,
                    )
                )
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 180
            while True:
                if procs[0].poll() is not None:
                    raise RuntimeError(
                        f"api-server exited {procs[0].returncode}: {log_path.read_text()[-3000:]}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("api-server did not become healthy in 180 s")
                time.sleep(0.5)
            if reserialize and procs[1].wait(timeout=300) != 0:
                raise RuntimeError("airflow dags reserialize failed")
            r = httpx.post(
                f"{base}/auth/token", json={"username": "admin", "password": PASSWORD}, timeout=30
            )
            r.raise_for_status()
            yield Server(base, r.json()["access_token"], env)
        finally:
            for p in reversed(procs):
                stop_group(p, grace=5)
