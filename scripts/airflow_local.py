"""`make airflow`: Airflow with its UI on this machine, as local processes, until Ctrl-C.

Migrates the metadata database (SQLite in ``AIRFLOW_HOME`` unless
``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` says otherwise), then starts the api-server,
scheduler, dag-processor and triggerer (LocalExecutor) with the checkout's ``dags/`` and
``plugins/``. The login is a fixed development user, admin/admin: the simple auth manager
keeps plaintext passwords in a JSON file and only generates one for a user missing from
it, so writing ``{"admin": "admin"}`` there first makes the password known.

Once the DAG is parsed it prints the URL, the login and what to type into news_daily's
trigger form for the bundled sample day. Each component runs in its own process group
(logs in ``AIRFLOW_HOME/logs/<component>.log``); Ctrl-C or SIGTERM ends every group,
task processes included, and so does any component exiting on its own.

    .venv/bin/python scripts/airflow_local.py [--port 8080] [--lake DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from newsflow.procgroups import stop_groups

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SAMPLE_INBOX = REPO / "include" / "newsflow" / "sample" / "inbox"
SAMPLE_DAY = "2024-05-14"
USER = PASSWORD = "admin"
STOP_GRACE_SECONDS = 20.0


def free_port() -> int:
    """A port nobody listens on now: the log servers need one each but nobody types them."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(home: Path, port: int, lake: Path) -> dict[str, str]:
    """The settings every component shares. Shell values win for the checkout's folders,
    the database and newsflow's inbox; executor, login and ports are the launcher's."""
    url = f"http://localhost:{port}"
    env = dict(os.environ)
    defaults = {
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        # an untouched trigger form reads the sample inbox; Params may point into the checkout
        "NEWSFLOW_INBOX": str(SAMPLE_INBOX),
        "NEWSFLOW_PARAM_ROOTS": str(REPO),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    secret = secrets.token_hex(32)  # per launch: every component must share it
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "NEWSFLOW_LAKE": str(lake),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
            "AIRFLOW__API__BASE_URL": url,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__SECRET_KEY": secret,
            "AIRFLOW__API_AUTH__JWT_SECRET": secret,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        }
    )
    env.pop("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", None)
    return env


def set_password(home: Path) -> None:
    """Put the fixed dev password into the simple auth manager's file, keeping other users."""
    path = home / "simple_auth_manager_passwords.json.generated"
    passwords: dict[str, str] = {}
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
        passwords = json.loads(path.read_text())
    passwords[USER] = PASSWORD
    path.write_text(json.dumps(passwords) + "\n")
    path.chmod(0o600)


def login(url: str) -> str | None:
    """A REST token for the dev user, or None while the api-server is not answering."""
    body = json.dumps({"username": USER, "password": PASSWORD}).encode()
    req = urllib.request.Request(
        f"{url}/auth/token", body, {"Content-Type": "application/json"}, method="POST"
    )
    with contextlib.suppress(OSError, ValueError), urllib.request.urlopen(req, timeout=5) as r:
        return str(json.load(r)["access_token"])
    return None


def dag_parsed(url: str, token: str) -> bool:
    req = urllib.request.Request(
        f"{url}/api/v2/dags/news_daily", headers={"Authorization": f"Bearer {token}"}
    )
    with contextlib.suppress(OSError, ValueError), urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r).get("dag_id") == "news_daily"
    return False


class Stack:
    """The four components, each in its own process group."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home, self.env = home, env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, name: str, *args: str) -> None:
        with open(self.home / "logs" / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(
                [str(BIN / "airflow"), *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches the launcher only; it stops the groups
                cwd=self.home,
            )

    def exited(self) -> str | None:
        return next((n for n, p in self.procs.items() if p.poll() is not None), None)

    def stop(self) -> None:
        """SIGTERM every group, SIGKILL what is left after the grace period."""
        stop_groups(self.procs.values(), STOP_GRACE_SECONDS)


def banner(url: str, lake: Path, home: Path) -> str:
    return (
        f"\nAirflow is up: {url}\n"
        f"  log in as      {USER} / {PASSWORD}\n"
        f"  news_daily → Trigger, for the bundled sample day type:\n"
        f"    Day          {SAMPLE_DAY}\n"
        f"    Inbox        {SAMPLE_INBOX}\n"
        f"    Lake         {lake}\n"
        f"  then: newsflow report --lake {lake} --day {SAMPLE_DAY}\n"
        f"  component logs {home / 'logs'}/{{api-server,scheduler,dag-processor,triggerer}}.log\n"
        f"Ctrl-C stops every Airflow process.\n"
    )


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=8080, help="the UI and API port (8080)")
    ap.add_argument("--host", default="127.0.0.1", help="address to serve on (127.0.0.1)")
    ap.add_argument(
        "--home", type=Path, default=Path(os.environ.get("AIRFLOW_HOME", REPO / ".airflow"))
    )
    ap.add_argument(
        "--lake", type=Path, default=Path(os.environ.get("NEWSFLOW_LAKE", REPO / "data" / "lake"))
    )
    ap.add_argument("--timeout", type=float, default=300, help="seconds to wait for the UI")
    args = ap.parse_args(argv)
    home, lake = args.home.resolve(), args.lake.resolve()
    (home / "logs").mkdir(parents=True, exist_ok=True)
    lake.mkdir(parents=True, exist_ok=True)
    env = environment(home, args.port, lake)
    url = env["AIRFLOW__API__BASE_URL"]
    # also SIGINT: a shell without job control starts background commands with it ignored
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _terminate)

    print(f"airflow db migrate ({home})", flush=True)
    migrate = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True
    )
    if migrate.returncode:
        print(migrate.stdout[-3000:], migrate.stderr[-3000:], file=sys.stderr)
        return 1
    set_password(home)
    stack = Stack(home, env)
    try:
        stack.spawn("api-server", "api-server", "--host", args.host, "--port", str(args.port))
        stack.spawn("scheduler", "scheduler")
        stack.spawn("dag-processor", "dag-processor")
        stack.spawn("triggerer", "triggerer")
        print("starting api-server, scheduler, dag-processor, triggerer ...", flush=True)
        deadline = time.monotonic() + args.timeout
        while not ((token := login(url)) and dag_parsed(url, token)):
            if (name := stack.exited()) or time.monotonic() > deadline:
                print(f"Airflow did not come up ({name or 'timeout'}); see {home / 'logs'}")
                return 1
            time.sleep(1)
        print(banner(url, lake, home), flush=True)
        while (name := stack.exited()) is None:
            time.sleep(1)
        print(f"airflow {name} exited; stopping the others (log: {home / 'logs'})")
        return 1
    except KeyboardInterrupt:
        print("\nstopping Airflow ...", flush=True)
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not orphan anything
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
        print("Airflow stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
