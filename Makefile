# The two commands a user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi:app

.PHONY: run test install install-dev bytecode migrate seed lint format test-sqlite test-postgres bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Bytecode for our own modules, written even where PYTHONDONTWRITEBYTECODE is set (as on
# these machines): without it every process (the web workers, the job consumer, each
# `flask` command, the suite's servers) compiles about 250 modules again, 0.3 s a start.
# Only changed files are compiled again.
bytecode: install
	$(BIN)/python -m compileall -q -j0 participate nlp migrations wsgi.py

migrate: install bytecode
	$(BIN)/flask db upgrade head

seed: migrate
	$(BIN)/flask seed-demo

## make run: install, migrate, load demo data once, serve on http://127.0.0.1:5000 with a job consumer
run: seed
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C stops the web server and the job consumer)"
	$(BIN)/honcho start

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make test: ruff, then the suite on SQLite, then again on PostgreSQL when one answers
test: install-dev bytecode
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m tests.run

bench: install-dev
	$(BIN)/python -m nlp bench

clean:
	rm -rf $(VENV) instance .pytest_cache
