# Two commands on a fresh machine: `make demo` and `make test`. Only python3 (with pip) is assumed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit test-sqlite test-postgres bench clean venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/lastmile demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# The suite runs twice where storage matters: once on SQLite, once on PostgreSQL.
test-sqlite: $(STAMP)
	LASTMILE_TEST_DB=sqlite $(BIN)/pytest -q -n 2 tests

test-postgres: $(STAMP)
	LASTMILE_TEST_DB=postgresql $(BIN)/pytest -q -n 2 -m storage tests

test: lint test-sqlite test-postgres

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/vrptw.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
