# OTC developer commands. Everything runs from .venv, which the first command
# builds (and rebuilds whenever pyproject.toml changes).
#
#   make run       serve the app with a worker and beat (embedded Postgres and
#                  Redis unless DATABASE_URL / REDIS_URL are set)
#   make test      lint, type-check, import contracts, then the whole test suite
#   make lint      the checks of `make test` without the tests
#   make format    rewrite files the way `make lint` wants them
#   make migrate   apply migrations (as the owner role)
#   make seed      load the demo tenants once (migrates first)
#   make shell     Django shell against the same database `make run` uses

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install when pyproject.toml is newer than this stamp.
STAMP := $(VENV)/.otc-installed
# pytest-xdist: one worker per core, each with its own test database
# (test_<name>_gw0, _gw1, ...). Override with `make test PYTEST_ARGS=...`.
PYTEST_ARGS ?= -n auto

.DEFAULT_GOAL := help
.PHONY: help install run test lint format typecheck migrate seed shell

help:
	@sed -n 's/^#   //p' Makefile

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
		echo "OTC needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1)."; \
		echo "Point make at one: make $(MAKECMDGOALS) PYTHON=python3.12"; exit 1; }
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $$($(PYTHON) -V)"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing OTC and its development tools into $(VENV) (pip install -e '.[dev]')"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/python -m otc.embedded run

test: lint
	$(BIN)/python -m otc.embedded test -- $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(STAMP)
	@OTC_DB_AS_OWNER=1 $(BIN)/python -m otc.embedded exec -- $(BIN)/python manage.py migrate --noinput

seed: migrate
	@$(BIN)/python -m otc.embedded exec -- $(BIN)/python manage.py seed_demo

shell: $(STAMP)
	@$(BIN)/python -m otc.embedded exec -- $(BIN)/python manage.py shell
