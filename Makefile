# The two commands a user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi:app

.PHONY: run test install install-dev migrate seed lint format test-sqlite test-postgres bench clean

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

migrate: install
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
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m tests.run

bench: install-dev
	$(BIN)/python -m nlp bench

clean:
	rm -rf $(VENV) instance .pytest_cache
