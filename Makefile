# The README's commands. `make run` and `make test` work on a fresh Debian/Ubuntu machine as root:
# they make the virtualenv, and `zoning db up` installs and starts PostgreSQL + PostGIS as needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test lint format dataset validate bench db-up db-down clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	sh scripts/ensure_system_packages.sh runtime
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,build]"
	touch $@

## The service with the bundled Nanchang dataset on http://127.0.0.1:8000
run: install
	$(BIN)/zoning run

LINTED := app zoning geodata tests bench migrations

## Lint first (a lint or type error fails CI), then the whole suite against a real, throwaway PostGIS
test: lint
	sh scripts/ensure_system_packages.sh test
	$(BIN)/python -m pytest

## ruff check + ruff format --check + mypy (untyped defs refused in zoning/ and geodata/)
lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

## Fix what ruff can fix and format the code
format: install
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

## Rebuild the bundled dataset from its inputs (byte-identical to the committed files)
dataset: install
	$(BIN)/python -m geodata.nanchang.build

validate: install
	$(BIN)/zoning validate

## Benchmarks, each against its anchor in the same run (wrk is apt-installed when missing; tipg
## goes into a throwaway venv under /tmp). Prints ratios, p50/p99 and errors.
bench: install
	$(BIN)/python bench/serving.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/ogc.py
	$(BIN)/python bench/screening.py
	$(BIN)/python bench/previews.py
	$(BIN)/python bench/bulk.py

db-up: install
	$(BIN)/zoning db up

db-down: install
	$(BIN)/zoning db down

clean:
	-$(BIN)/zoning db down
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
