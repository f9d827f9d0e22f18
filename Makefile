# The README's commands. Each first makes .venv/ from uv.lock (scripts/bootstrap.py) if needed.
PYTHON ?= python3
VENV := .venv/bin
BOOTSTRAP := $(PYTHON) scripts/bootstrap.py

.PHONY: run test lint format bench

## run: start the three services and the portal (embedded PostgreSQL unless *_DATABASE_URL are set)
run:
	@$(BOOTSTRAP)
	@$(VENV)/huimin run

## test: lint, type-check and run every test on real PostgreSQL (and the portal's in Chromium)
test: lint
	@$(BOOTSTRAP) --browser
	@$(VENV)/pytest -n auto --dist loadgroup

## lint: ruff (lint + format check), mypy strict on shared/, portal/, the three services and the CLI, and the layer contracts
lint:
	@$(BOOTSTRAP)
	@$(VENV)/ruff check .
	@$(VENV)/ruff format --check .
	@$(VENV)/mypy
	@$(VENV)/lint-imports

## bench: status look-ups next to a bare route, then the whole year with its import, at RESIDENTS (bench/README.md)
RESIDENTS ?= 100000
bench:
	@$(BOOTSTRAP)
	@$(VENV)/python bench/status.py --residents $(RESIDENTS)
	@$(VENV)/python bench/year.py --residents $(RESIDENTS)

## format: apply ruff's fixes and formatting
format:
	@$(BOOTSTRAP)
	@$(VENV)/ruff check --fix .
	@$(VENV)/ruff format .
