# Set-up and checks. `make demo` and `make test` are the two entry points (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test

.PHONY: demo test install typecheck clean

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

test: $(TESTSTAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/mypy

typecheck: $(TESTSTAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
