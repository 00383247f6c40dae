"""Static checks of the container setup: docker-compose.yaml, Dockerfile, .dockerignore.

No Docker daemon is needed. The compose file is parsed with PyYAML (whose SafeLoader
resolves the ``<<: *airflow-common`` merge keys), and ``${VAR:-default}`` substitutions are
resolved by a small interpolator that follows the Compose rules for the forms used here.
Only ``test_docker_compose_config_is_valid`` needs the ``docker compose`` CLI plugin; it is
skipped, with the reason, where the plugin is not installed.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e  # the deployment's compose file and image (docker compose CLI)

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
LOCKFILE = ROOT / "requirements-prod.lock"  # what the image installs (runtime + s3fs)
DEV_LOCKFILE = ROOT / "requirements.lock"

IMAGE = "newsflow-airflow:latest"
INBOX = "/opt/newsflow/inbox"
LAKE = "/opt/newsflow/lake"

# service -> the Airflow CLI command it runs
AIRFLOW_DAEMONS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
}
AIRFLOW_SERVICES = [*AIRFLOW_DAEMONS, "airflow-init"]
BACKING_SERVICES = ["postgres", "redis"]
S3_SERVICES = ["minio", "minio-init"]
LONG_RUNNING = [*BACKING_SERVICES, *AIRFLOW_DAEMONS]


# --------------------------------------------------------------------------- helpers

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value, env: dict[str, str] | None = None):
    """Resolve ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}`` and ``$$`` like Compose."""
    if not isinstance(value, str):
        return value
    env = env or {}
    escaped = value.replace("$$", "\0")

    def sub(m: re.Match) -> str:
        name, op, arg = m.group("name"), m.group("op"), m.group("arg")
        if op == ":-":
            return env.get(name) or arg
        if op == "-":
            return env.get(name, arg)
        if op in (":?", "?") and not env.get(name):
            raise KeyError(f"required variable {name} is not set: {arg}")
        return env.get(name, "")

    return _VAR.sub(sub, escaped).replace("\0", "$")


def env_of(service: dict) -> dict:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "use the mapping form for environment (needed for <<: merges)"
    return env


def resolved_env(service: dict, shell: dict[str, str] | None = None) -> dict:
    return {k: interpolate(v, shell) for k, v in env_of(service).items()}


def volume_targets(service: dict) -> dict[str, str]:
    """container path -> host source for short-syntax volumes."""
    out = {}
    for vol in service.get("volumes", []):
        assert isinstance(vol, str), f"unexpected long-syntax volume {vol!r}"
        parts = vol.split(":")
        out[parts[1]] = parts[0]
    return out


def healthcheck_cmd(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = DOCKERFILE.read_text()
    logical, buf = [], ""
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        logical.append(buf.strip())
        buf = ""
    if buf.strip():
        logical.append(buf.strip())
    out = []
    for stmt in logical:
        instr, _, args = stmt.partition(" ")
        out.append((instr.upper(), args.strip()))
    return out


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


# --------------------------------------------------------------------------- compose: shape


def test_required_services_exist(services):
    missing = {*BACKING_SERVICES, *AIRFLOW_SERVICES, *S3_SERVICES} - set(services)
    assert not missing, f"missing services: {sorted(missing)}"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_services_use_common_image_and_celery(services, name):
    svc = services[name]
    assert svc.get("build") == ".", f"{name} must build the repo Dockerfile"
    assert svc.get("image") == IMAGE
    env = resolved_env(svc)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == (
        "postgresql+psycopg2://airflow:airflow@postgres/airflow"
    )
    assert (
        env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql://airflow:airflow@postgres/airflow"
    )
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://:@redis:6379/0"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "true"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("simple_auth_manager.SimpleAuthManager")
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in env


@pytest.mark.parametrize(("name", "command"), AIRFLOW_DAEMONS.items())
def test_airflow_daemon_commands(services, name, command):
    assert services[name]["command"] == command


def test_postgres_and_redis(services):
    assert services["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in healthcheck_cmd(services["postgres"])
    assert services["redis"]["image"] == "redis:7.2-bookworm"
    assert "redis-cli ping" in healthcheck_cmd(services["redis"])


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_have_healthchecks(services, name):
    hc = services[name].get("healthcheck")
    assert hc and hc.get("test"), f"{name} has no healthcheck"
    assert hc["test"][0] in ("CMD", "CMD-SHELL")
    assert services[name].get("restart") == "always"


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("airflow-apiserver", "http://localhost:8080/api/v2/"),
        ("airflow-scheduler", "http://localhost:8974/health"),
        ("airflow-dag-processor", "airflow jobs check --job-type DagProcessorJob"),
        ("airflow-triggerer", "airflow jobs check --job-type TriggererJob"),
        ("airflow-worker", "inspect ping"),
    ],
)
def test_airflow_healthcheck_commands(services, name, needle):
    assert needle in healthcheck_cmd(services[name])


def test_scheduler_health_server_enabled(services):
    assert (
        resolved_env(services["airflow-scheduler"])["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"]
        == "true"
    )


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_healthchecks_escape_container_variables(services, name):
    """`${HOSTNAME}` would be interpolated by Compose on the host; it must be `$${HOSTNAME}`."""
    cmd = healthcheck_cmd(services[name])
    assert not re.search(r"(?<!\$)\$\{HOSTNAME\}", cmd), cmd
    if "HOSTNAME" in cmd:
        assert "$" + "{HOSTNAME}" in interpolate(cmd)


def test_apiserver_publishes_8080(services):
    ports = [interpolate(p) for p in services["airflow-apiserver"]["ports"]]
    assert "8080:8080" in ports


def test_worker_can_be_scaled(services):
    worker = services["airflow-worker"]
    assert "container_name" not in worker, "container_name prevents --scale"
    assert "ports" not in worker, "published ports collide when scaled"
    assert "hostname" not in worker


# --------------------------------------------------------------------------- compose: wiring


@pytest.mark.parametrize("name", ["airflow-scheduler", "airflow-worker", "airflow-dag-processor"])
def test_inbox_and_lake_mounted(services, name):
    svc = services[name]
    env = resolved_env(svc)
    mounts = volume_targets(svc)
    assert env["NEWSFLOW_INBOX"] == INBOX
    assert env["NEWSFLOW_LAKE"] == LAKE  # default when NEWSFLOW_LAKE is unset
    assert mounts.get(INBOX) == "./data/inbox"
    assert mounts.get(LAKE) == "./data/lake"
    assert mounts.get("/opt/airflow/dags") == "./dags"
    assert "/opt/airflow/logs" in mounts


def test_lake_can_be_switched_to_s3(services):
    shell = {"NEWSFLOW_LAKE": "s3://newsflow/lake"}
    for name in ("airflow-scheduler", "airflow-worker"):
        assert resolved_env(services[name], shell)["NEWSFLOW_LAKE"] == "s3://newsflow/lake"
        env = env_of(services[name])
        for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
            # key only (null) = passed through from the shell/.env when set, absent otherwise
            assert var in env and env[var] is None, var


def test_components_share_jwt_secret_and_execution_api(services):
    names = list(AIRFLOW_SERVICES)
    raw_secrets = {env_of(services[n])["AIRFLOW__API_AUTH__JWT_SECRET"] for n in names}
    assert raw_secrets == {"${AIRFLOW_JWT_SECRET:-change-me}"}
    shell = {"AIRFLOW_JWT_SECRET": "from-env"}
    assert {resolved_env(services[n], shell)["AIRFLOW__API_AUTH__JWT_SECRET"] for n in names} == {
        "from-env"
    }
    urls = {resolved_env(services[n])["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] for n in names}
    assert urls == {"http://airflow-apiserver:8080/execution/"}
    assert "airflow-apiserver" in services


@pytest.mark.parametrize("name", AIRFLOW_DAEMONS)
def test_airflow_daemons_depend_on_healthy_backends_and_init(services, name):
    deps = services[name]["depends_on"]
    assert deps["postgres"]["condition"] == "service_healthy"
    assert deps["redis"]["condition"] == "service_healthy"
    assert deps["airflow-init"]["condition"] == "service_completed_successfully"


def test_worker_waits_for_healthy_apiserver(services):
    deps = services["airflow-worker"]["depends_on"]
    assert deps["airflow-apiserver"]["condition"] == "service_healthy"


def test_init_migrates_and_prepares_mounts(services):
    init = services["airflow-init"]
    env = resolved_env(init)
    assert env["_AIRFLOW_DB_MIGRATE"] == "true"
    assert "_AIRFLOW_WWW_USER_CREATE" not in env, "FAB-only; we use SimpleAuthManager"
    assert init["user"] == "0:0"
    script = interpolate(init["command"][-1])
    for path in (INBOX, LAKE, "/opt/airflow/logs"):
        assert path in script
    assert "chown" in script
    assert env["_NEWSFLOW_ADMIN_PASSWORD"] == "admin"
    assert resolved_env(init, {"NEWSFLOW_ADMIN_PASSWORD": "pw"})["_NEWSFLOW_ADMIN_PASSWORD"] == "pw"
    # the passwords file it writes is the one the API server reads
    pw_file = env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    api_env = resolved_env(services["airflow-apiserver"])
    assert api_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == pw_file
    assert str(Path(pw_file).parent) in volume_targets(services["airflow-apiserver"])
    assert "SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" in script
    # the pool news_daily's ingest runs in (NEWSFLOW_FETCH_POOL, read by the DAG file on
    # every component) exists before any task is scheduled
    for name in AIRFLOW_DAEMONS:
        assert resolved_env(services[name])["NEWSFLOW_FETCH_POOL"] == "newsflow_fetch", name
    assert "NEWSFLOW_FETCH_POOL" in (ROOT / "dags" / "news_daily.py").read_text()
    assert re.search(r"airflow pools set newsflow_fetch ", script)
    assert script.index("airflow version") < script.index("airflow pools set")


def test_run_params_confined_to_the_mounted_data(services):
    for name in AIRFLOW_DAEMONS:
        env = resolved_env(services[name])
        assert env["NEWSFLOW_PARAM_ROOTS"] == "/opt/newsflow"
        assert env["NEWSFLOW_INBOX"].startswith("/opt/newsflow/")


def test_secrets_are_substitutions(compose, services):
    secretish = re.compile(r"SECRET|PASSWORD|FERNET|JWT")
    for name, svc in services.items():
        for key, value in env_of(svc).items():
            if secretish.search(key) and not key.endswith("_FILE") and value is not None:
                assert isinstance(value, str) and value.startswith("${"), (
                    f"{name}: {key} is hard-coded; use ${{VAR:-default}}"
                )
    # the DB password inside the connection URLs follows POSTGRES_PASSWORD too
    for name in AIRFLOW_SERVICES:
        env = env_of(services[name])
        for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):
            assert "${POSTGRES_PASSWORD:-airflow}@postgres" in env[key], (name, key)
    assert env_of(services["postgres"])["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:-airflow}"


def test_no_pip_additional_requirements(services):
    """Dependencies are baked into the image, never pip-installed at container start."""
    for name, svc in services.items():
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in env_of(svc), name
    assert not any("_PIP_ADDITIONAL_REQUIREMENTS" in a for _, a in dockerfile_instructions())


# --------------------------------------------------------------------------- compose: s3 profile


def test_s3_services_only_in_s3_profile(services):
    for name in S3_SERVICES:
        assert services[name].get("profiles") == ["s3"], name
    for name in [*BACKING_SERVICES, *AIRFLOW_SERVICES]:
        assert not services[name].get("profiles"), f"{name} must start by default"


def test_minio_and_bucket_init(services):
    minio, init = services["minio"], services["minio-init"]
    assert minio["image"].split(":")[0] == "minio/minio"
    assert minio["command"] == 'server /data --console-address ":9001"'
    assert minio.get("healthcheck", {}).get("test")
    assert init["image"].split(":")[0] == "minio/mc"
    assert init["depends_on"]["minio"]["condition"] == "service_healthy"
    script = interpolate(init["command"][-1])
    assert re.search(r"mc mb\b.*\blocal/newsflow\b", script)


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_base_image_matches_lock_python():
    froms = [args for instr, args in dockerfile_instructions() if instr == "FROM"]
    assert froms, "no FROM"
    m = re.fullmatch(r"apache/airflow:3\.3\.2(?:-python(?P<py>3\.\d+))?", froms[0])
    assert m, f"base image must be apache/airflow:3.3.2[-pythonX.Y], got {froms[0]!r}"
    lock_py = re.search(r"--python-version[ =](3\.\d+)", LOCKFILE.read_text()[:2000])
    if lock_py:
        assert m.group("py") == lock_py.group(1), (
            f"lock compiled for {lock_py.group(1)}, image is python {m.group('py') or 'default'}"
        )


def _pins(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", path.read_text(), re.M))


def test_lock_pins_the_base_image_airflow():
    assert re.search(r"^apache-airflow==3\.3\.2\b", LOCKFILE.read_text(), re.M)


def test_prod_lock_is_runtime_only_and_agrees_with_the_dev_lock():
    prod, dev = _pins(LOCKFILE), _pins(DEV_LOCKFILE)
    assert {"s3fs", "asyncpg", "apache-airflow", "spacy"} <= set(prod)
    assert not {"pytest", "ruff", "hypothesis", "datatrove"} & set(prod)
    assert {k: v for k, v in prod.items() if dev.get(k) != v} == {}


def test_dockerfile_installs_lock_then_package_as_airflow_user():
    instrs = dockerfile_instructions()
    users = [(i, a) for i, (instr, a) in enumerate(instrs) if instr == "USER"]
    runs = [(i, a) for i, (instr, a) in enumerate(instrs) if instr == "RUN"]
    copies = [(i, a) for i, (instr, a) in enumerate(instrs) if instr == "COPY"]

    lock_copy = [i for i, a in copies if "requirements" in a or "${REQUIREMENTS}" in a]
    lock_install = [i for i, a in runs if "-r /tmp/requirements.lock" in a]
    assert lock_copy and lock_install, "requirements.lock is not copied and installed"
    lock_cmd = instrs[lock_install[0]][1]
    assert "--no-deps" in lock_cmd and "--require-hashes" in lock_cmd
    assert re.search(r"ARG REQUIREMENTS=requirements-prod\.lock", DOCKERFILE.read_text())

    pkg_install = [
        i for i, a in runs if re.search(r"pip install .*--no-deps.* /tmp/newsflow-src", a)
    ]
    assert pkg_install, "the newsflow package is not installed (with --no-deps)"
    copied = " ".join(a for _, a in copies)
    assert "pyproject.toml" in copied and "include/" in copied
    assert lock_install[0] < pkg_install[0], "install the lock before the package"

    # every pip/uv install runs as the airflow user, never as root
    for i, cmd in runs:
        if "pip install" in cmd:
            current = [a for j, a in users if j < i]
            assert current and current[-1] == "airflow", f"install as airflow user: {cmd[:60]}"
    assert users[-1][1] == "airflow", "the image must end as the airflow user"


def test_dockerfile_bakes_in_dags_and_plugins():
    copies = [a for instr, a in dockerfile_instructions() if instr == "COPY"]
    assert any(re.search(r"\bdags/? /opt/airflow/dags/?$", a) for a in copies)
    assert any(re.search(r"\bplugins/? /opt/airflow/plugins/?$", a) for a in copies)


def _dockerignore_patterns() -> list[str]:
    return [
        ln.strip()
        for ln in DOCKERIGNORE.read_text().splitlines()
        if ln.strip() and not ln.strip().startswith("#")
    ]


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pat in patterns:
        negate = pat.startswith("!")
        pat = pat.lstrip("!").rstrip("/")
        candidates = [pat, pat.removeprefix("**/")]
        if any(fnmatch.fnmatch(path, c) or path.startswith(c + "/") for c in candidates):
            ignored = not negate
    return ignored


def test_dockerignore_excludes_local_state():
    patterns = _dockerignore_patterns()
    for path in (
        ".venv",
        "data",
        ".git",
        ".airflow",
        "logs",
        "include/newsflow/__pycache__",
        "include/newsflow.egg-info",
        ".env",
    ):
        assert _ignored(path, patterns), f"{path} should be excluded from the build context"


def test_dockerignore_keeps_what_the_dockerfile_copies():
    patterns = _dockerignore_patterns()
    text = DOCKERFILE.read_text()
    sources = []
    for instr, args in dockerfile_instructions():
        if instr == "COPY":
            parts = [p for p in args.split() if not p.startswith("--")]
            sources += [p.rstrip("/") for p in parts[:-1]]
    sources = [re.sub(r"\$\{REQUIREMENTS\}", "requirements-prod.lock", s) for s in sources]
    assert "requirements-prod.lock" in sources and "ARG REQUIREMENTS" in text
    for src in sources:
        assert not _ignored(src, patterns), (
            f".dockerignore drops {src}, which the Dockerfile copies"
        )


# --------------------------------------------------------------------------- real compose CLI


def _compose_cli() -> tuple[list[str] | None, str]:
    """Compose v2 (``docker compose``) where it works, else the standalone v1 tool
    (Debian's ``docker-compose``, which .ci/run installs)."""
    if shutil.which("docker"):
        r = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=60
        )
        if r.returncode == 0:
            return ["docker", "compose"], r.stdout.strip()
    if shutil.which("docker-compose"):
        return ["docker-compose"], "docker-compose (v1)"
    return None, "neither `docker compose` nor `docker-compose` is installed"


@pytest.mark.parametrize("profile_args", [[], ["--profile", "s3"]], ids=["default", "s3"])
def test_docker_compose_config_is_valid(profile_args):
    cli, info = _compose_cli()
    if cli is None:
        pytest.skip(f"{info}; the static checks above still ran")
    r = subprocess.run(
        [*cli, "-f", str(COMPOSE_FILE), *profile_args, "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
