# The README's commands. `make run` and `make test` work on a fresh Debian/Ubuntu machine as root:
# they make the virtualenv, and `zoning db up` installs and starts PostgreSQL + PostGIS as needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test lint dataset validate bench db-up db-down clean

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

## The whole test suite against a real, throwaway PostGIS
test: install
	sh scripts/ensure_system_packages.sh test
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check app zoning geodata tests bench migrations
	$(BIN)/ruff format --check app zoning geodata tests bench migrations
	$(BIN)/mypy

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

db-up: install
	$(BIN)/zoning db up

db-down: install
	$(BIN)/zoning db down

clean:
	-$(BIN)/zoning db down
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
