# Two commands for a newcomer: `make demo` and `make test`. Both build the venv first.
PY      ?= python3
# resolved now, before the venv's bin goes first on PATH
SYSPY   := $(shell command -v $(PY))
VENV    := .venv
BIN     := $(CURDIR)/$(VENV)/bin
UV      := $(SYSPY) -m uv
AIRFLOW_HOME ?= $(CURDIR)/.airflow
LAKE    ?= $(CURDIR)/data/lake
SAMPLE  := $(CURDIR)/include/newsflow/sample/inbox
DAY     := 2024-05-14
PORT    ?= 8080

export PATH := $(BIN):$(PATH)
export AIRFLOW_HOME
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := false
# a run's inbox/lake Params may point inside the checkout (the demo's sample inbox and lake)
export NEWSFLOW_PARAM_ROOTS ?= $(CURDIR)

.PHONY: venv demo airflow screenshots test test-fast lint lock clean

# The venv: exact pins with hashes from requirements.lock, then the package itself.
# (--python is explicit: `python -m uv` would otherwise target the interpreter running it.)
# --compile-bytecode: uv writes no .pyc (pip does), and where PYTHONDONTWRITEBYTECODE is
# set no import writes them either, so every process (each Airflow task, each CLI run)
# compiled Airflow, pandas and spaCy from source: 7.9 s to import them, 3.1 s compiled.
$(VENV)/.installed: requirements.lock pyproject.toml
	$(SYSPY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) venv --quiet --allow-existing --python $(SYSPY) $(VENV)
	$(UV) pip sync --quiet --compile-bytecode --require-hashes --python $(VENV)/bin/python requirements.lock
	$(UV) pip install --quiet --compile-bytecode --no-deps --python $(VENV)/bin/python -e .
	touch $@

venv: $(VENV)/.installed

# Runs news_daily through `airflow dags test` on the bundled sample corpus.
demo: venv
	airflow db migrate > /dev/null
	airflow dags test news_daily \
	  -c '{"day": "$(DAY)", "inbox": "$(SAMPLE)", "lake": "$(LAKE)"}' > $(AIRFLOW_HOME)/demo.log 2>&1 \
	  || (tail -40 $(AIRFLOW_HOME)/demo.log; exit 1)
	@newsflow report --lake $(LAKE) --day $(DAY)
	@echo "Airflow log of the run: $(AIRFLOW_HOME)/demo.log"

# Airflow with its UI on http://localhost:$(PORT) (api-server, scheduler, dag-processor,
# triggerer; login admin/admin) until Ctrl-C; prints what to type into the trigger form.
airflow: venv
	python scripts/airflow_local.py --port $(PORT) --lake $(LAKE)

# docs/trigger-form.png and docs/plugin.png from a throw-away `make airflow` in headless
# Chromium (needs `chromium`); takes a few minutes: it waits for the sample run.
screenshots: venv
	python docs/screenshots.py --with-lake-view

# Lint, format check and type check ([tool.mypy] in pyproject.toml: include/, dags/, plugins/).
lint: venv
	ruff check dags include plugins tests benchmarks scripts
	ruff format --check dags include plugins tests benchmarks scripts
	mypy

test: lint
	python -m pytest -q

# The quick loop while working: unit tests and dag.test(), without the real Airflow
# deployments (e2e), the browser and the slow tests; CI runs `make test`.
test-fast: venv
	python -m pytest -q -m "not e2e and not browser and not slow"

# Recompile the locks after changing dependencies in pyproject.toml: requirements.lock (dev,
# bench, s3: the venv) and requirements-prod.lock (s3 only: the Docker image).
lock:
	$(UV) pip compile pyproject.toml --extra dev --extra bench --extra s3 --generate-hashes --python-version 3.11 \
	  --quiet -o requirements.lock
	$(UV) pip compile pyproject.toml --extra s3 --generate-hashes --python-version 3.11 \
	  --quiet -o requirements-prod.lock

clean:
	rm -rf $(VENV) .airflow data .pytest_cache .mypy_cache
