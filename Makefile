# make run   - set up (first time) and start the console with demo data
# make test  - lint, the suite on SQLite, then again on a throwaway PostgreSQL + Redis
# make lint  - ruff check, ruff format --check, mypy on the typed boundaries
# make bench - every bench/*.py in turn
# make faults - the fault suite at full size (killed workers, restarts, floods)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
# Web processes on one shared socket (console/serve.py): one per core with Redis, which
# every process shares (live feed, rate limits, login throttle); one embedded, where
# those counts live in each process's memory (docs/deploy.md).
WEB_PROCESSES ?= $(if $(REDIS_URL),$(shell nproc),1)
# The local test AEAT `make run` starts beside the console (docs/agencies.md).
AEAT_PORT ?= 8443
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
TEST_PACKAGES := $(RUN_PACKAGES) postgresql redis-server chromium chromium-driver poppler-utils

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# Installs whichever of the Debian packages in $(1) are missing; fast when none are.
ensure_debian_packages = missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	    echo "Installing Debian packages:" $$missing; \
	    $(SUDO) apt-get update -qq; \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Prints the project's requirements from pyproject.toml, plus the extras given as arguments.
REQUIREMENTS := import sys, tomllib; \
	project = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	extras = project["optional-dependencies"]; \
	print(*project["dependencies"], *(r for name in sys.argv[1:] for r in extras[name]), sep="\n")

.PHONY: run test lint bench faults

run: $(VENV)/.installed-run
	@$(call ensure_debian_packages,$(RUN_PACKAGES))
	$(MANAGE) migrate --noinput
	@# The local test AEAT (VERI*FACTU and census, HTTPS with client certificates) runs
	@# beside the console on loopback; the demo workspace's AEAT settings point at it.
	@# demo_setup issues the demo's certificate (creating the AEAT's CA) before it starts.
	@aeat_state="$$(realpath -m "$${CONSOLE_VAR_DIR:-var}/local_aeat")"; \
	export AEAT_LOCAL_URL="https://127.0.0.1:$(AEAT_PORT)" AEAT_LOCAL_CA="$$aeat_state/ca.pem"; \
	$(MANAGE) demo_setup; \
	workers=$$($(MANAGE) help jobworker >/dev/null 2>&1 && echo jobworker || echo qcluster); \
	web= jobs= aeat=; \
	trap 'kill $$web $$jobs $$aeat 2>/dev/null; wait' EXIT INT TERM; \
	$(MANAGE) local_aeat --host 127.0.0.1 --port $(AEAT_PORT) --state "$$aeat_state" & aeat=$$!; \
	$(BIN)/python -m console.serve --bind $(HOST) --port $(PORT) --processes $(WEB_PROCESSES) & web=$$!; \
	$(MANAGE) $$workers & jobs=$$!; \
	echo; \
	echo "Workflow Console: http://$(HOST):$(PORT)/"; \
	echo "Log in as demo, password $$(cat "$${CONSOLE_VAR_DIR:-var}/demo_password")"; \
	echo "Local test AEAT: $$AEAT_LOCAL_URL (the demo workspace sends its VERI*FACTU records there)"; \
	echo "Ctrl-C stops the web server, the workers and the local AEAT."; \
	wait -n

test: $(VENV)/.installed-test
	@$(call ensure_debian_packages,$(TEST_PACKAGES))
	$(BIN)/ruff check .
	@echo "== Test suite on SQLite"
	$(BIN)/pytest || [ $$? -eq 5 ]
	@echo "== Test suite on PostgreSQL + Redis (browser tests excluded)"
	$(BIN)/python -m tests.services -- $(BIN)/pytest -m "not browser" --ignore=tests/browser \
	    || [ $$? -eq 5 ]

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

faults: $(VENV)/.installed-test
	@$(call ensure_debian_packages,$(TEST_PACKAGES))
	$(BIN)/python -m tests.faults

bench: $(VENV)/.installed-test
	for bench in bench/*.py; do echo "== $$bench"; $(BIN)/python "$$bench"; done

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { \
	    $(call ensure_debian_packages,python3-venv); $(PYTHON) -m venv $(VENV); }

# The stamps are newer than pyproject.toml once its requirements are installed.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -c '$(REQUIREMENTS)' > $(VENV)/requirements-run.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r $(VENV)/requirements-run.txt
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -c '$(REQUIREMENTS)' test > $(VENV)/requirements-test.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r $(VENV)/requirements-test.txt
	touch $@
