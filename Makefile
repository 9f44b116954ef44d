# Set-up and checks. `make demo` and `make test` are the two entry points (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test

CHROMIUM := /usr/bin/chromium

.PHONY: demo test install typecheck clean chromium screenshot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(TESTSTAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(STAMP)

# Exit status 1 means "not every patient is eligible", which the demo shows on purpose.
demo: $(STAMP)
	$(BIN)/blinakg validate examples/patients --as-of 2025-03-01 --format text || test $$? -eq 1

# The HTML report is tested in a real browser: Debian's chromium, driven by
# Playwright for Python (never `playwright install`, which downloads a build).
chromium: $(CHROMIUM)

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "make: install Chromium at $(CHROMIUM) (Debian: apt-get install chromium)" >&2; exit 1; }
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium

# The suite runs on every core (pytest-xdist), a test file a worker: module fixtures stay shared.
test: $(TESTSTAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -q -n auto --dist loadfile
	$(BIN)/mypy

# The README's picture of the demo cohort's HTML report.
screenshot: $(TESTSTAMP) $(CHROMIUM)
	$(BIN)/python docs/img/screenshot.py

typecheck: $(TESTSTAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
