# kam: two commands for a new user — `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/kam
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run test install install-dev lint typecheck test-sqlite test-postgres test-browser bench loadtest demo messages clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: requirements.txt pyproject.toml | $(VENV)/bin/activate
	$(PIP) install -q -r requirements.txt
	$(PIP) install -q --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(VENV)/.installed
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py demo --if-empty
	@echo ""
	@echo "kam is at http://$(HOST):$(PORT)/"
	@$(PY) manage.py demo --print-logins
	$(VENV)/bin/gunicorn config.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --timeout 300 --access-logfile -

test: install-dev
	bash scripts/ensure-services.sh
	$(MAKE) lint typecheck
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py compilemessages -v 0 --ignore=.venv
	$(MAKE) test-sqlite test-postgres

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck:
	$(VENV)/bin/mypy kam config

test-sqlite:
	DATABASE_URL= $(VENV)/bin/pytest -q -p no:cacheprovider

test-postgres:
	DATABASE_URL=$(PG_TEST_URL) KAM_TEST_DB=postgres $(VENV)/bin/pytest -q -p no:cacheprovider -m "not browser and not spark"

bench: install-dev
	$(PY) benchmarks/run.py

# Load test (not part of `make test`): 50 users for 60 s against gunicorn on 127.0.0.1, PASS if p95 < 300 ms
# and no errors. Default: SQLite, 10,000 clients and 1,000,000 ledger lines (built once, in var/loadtest/).
# Full scale: make loadtest SCALE=full DATABASE_URL=postgres://postgres@127.0.0.1:5432/kam_loadtest
# (100,000 clients, 10,000,000 lines, 200 KAMs). See docs/performance.md for the other knobs.
SCALE ?= sqlite
loadtest: install-dev
	SCALE=$(SCALE) bash scripts/loadtest.sh

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo

messages: install-dev
	mkdir -p locale
	$(PY) manage.py makemessages -l ru --ignore='.venv/*' --ignore='*/tests/*' --ignore='benchmarks/*' --ignore='var/*' --no-obsolete
	$(PY) manage.py compilemessages -v 0 --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .mypy_cache .ruff_cache
