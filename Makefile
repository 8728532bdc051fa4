# Studio — `make up` to run it, `make test` to test it. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NPM_STAMP := frontend/node_modules/.installed
BUNDLE := static/dist/.vite/manifest.json
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts frontend/tsconfig.json
TEST_HOME ?= $(CURDIR)/var/test

.PHONY: up serve worker test test-python test-frontend faults lint format rules bench image clean help

help:
	@echo "make up      install what is missing, build the frontend, run Studio on http://127.0.0.1:8000"
	@echo "make test    the whole suite: pytest (unit, integration, browser) and vitest"
	@echo "make faults  the fault suite (tests/faults: crashes, cancels, hostile steps and input, access walk)"
	@echo "make lint    ruff and eslint"
	@echo "make image   build the offline Python base image (needs Docker, debootstrap, root)"

# --- installs (skipped when nothing changed) ---------------------------------------------------
$(PY_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

$(BUNDLE): $(NPM_STAMP) $(wildcard $(FRONTEND_SOURCES))
	cd frontend && npm run --silent build

install: $(PY_STAMP) $(BUNDLE)

# --- running -------------------------------------------------------------------------------------
up: $(PY_STAMP) $(BUNDLE)
	@command -v studio >/dev/null || echo "The studio command is $(VENV)/bin/studio: '. $(VENV)/bin/activate' puts it on PATH."
	$(VENV)/bin/studio up

serve: $(PY_STAMP) $(BUNDLE)
	$(VENV)/bin/studio serve

worker: $(PY_STAMP)
	$(VENV)/bin/studio worker

image: $(PY_STAMP)
	$(VENV)/bin/studio image bootstrap

# --- quality -------------------------------------------------------------------------------------
test: lint test-frontend test-python

test-python: $(PY_STAMP) $(BUNDLE)
	@mkdir -p $(TEST_HOME)
	STUDIO_HOME=$(TEST_HOME) $(PY) -m pytest -m "not faults" $(PYTEST_ARGS)

# The fault suite (issue #16): slower trials of crashes, cancels and hostile steps and input; CI
# runs it after `make test`. Its counts are in README.md, "Reliability".
faults: $(PY_STAMP) $(BUNDLE)
	@mkdir -p $(TEST_HOME)-faults
	STUDIO_HOME=$(TEST_HOME)-faults $(PY) -m pytest -m faults tests/faults $(PYTEST_ARGS)

test-frontend: $(NPM_STAMP)
	cd frontend && npm test --silent

lint: $(PY_STAMP) $(NPM_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	cd frontend && npm run --silent lint

format: $(PY_STAMP) $(NPM_STAMP)
	$(VENV)/bin/ruff format .
	cd frontend && npm run --silent format

# The browser's copy of the server's rules (port types, name patterns), from pipelines/rules.py.
rules: $(PY_STAMP)
	$(PY) -m pipelines.rules

# Every bench script writes its rows to bench/results/<script>.json (bench/report.py) and also runs
# alone. `make bench` runs them all, one after the other (one that fails does not stop the rest,
# each says how long it took), then bench/report.py merges them into bench/results/latest.json and
# prints one table; it exits 1 after the table when a script failed. About 16 minutes on an idle
# 2-CPU machine (bench/README.md). Arguments per script: BENCH_ARGS_<script>, e.g.
#   make bench BENCH_SCRIPTS="step_overhead fan_out" BENCH_ARGS_fan_out="--sizes 10,100"
BENCH_SCRIPTS ?= step_overhead designer_scale event_latency log_flood big_job \
	peers production fan_out reuse submit_latency endpoint_load memory
BENCH_ARGS_step_overhead ?= --steps 40 --repeat 3 $(BENCH_ARGS)
BENCH_ARGS_designer_scale ?= $(DESIGNER_BENCH_ARGS)
bench: $(PY_STAMP) $(BUNDLE)
	@mkdir -p bench/results && rm -f bench/results/*.json
	@declare -A args=($(foreach s,$(BENCH_SCRIPTS),[$(s)]="$(BENCH_ARGS_$(s))")); failed=""; \
	for script in $(BENCH_SCRIPTS); do \
		echo "== bench/$$script.py $${args[$$script]}"; started=$$SECONDS; \
		$(PY) bench/$$script.py $${args[$$script]} || failed="$$failed $$script"; \
		echo "== bench/$$script.py: $$((SECONDS - started)) s"; \
	done; \
	$(PY) bench/report.py; \
	if [ -n "$$failed" ]; then echo "bench scripts that failed (no rows from them):$$failed"; exit 1; fi

clean:
	rm -rf static/dist frontend/node_modules $(VENV) var/test var/test-faults
