# Gongguan — the two commands are `make run` and `make test` (see README.md).
# Assumes only Python 3.11+ and make; everything else goes into .venv.

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` is the embedded mode: SQLite and in-process (eager) Celery tasks,
# whatever DATABASE_URL / CELERY_BROKER_URL the shell may hold. Override these two
# to run the dev server against PostgreSQL + Redis.
RUN_DATABASE_URL ?= sqlite:///var/gongguan.sqlite3
RUN_BROKER_URL ?=

BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
RUN_ENV := DJANGO_SETTINGS_MODULE=config.settings.local DATABASE_URL=$(RUN_DATABASE_URL) CELERY_BROKER_URL=$(RUN_BROKER_URL)
# `make run` is the demo: the site's own error pages (DEBUG off) and the demo's conveniences
# (DEMO_MODE). `make dev` is the same server with Django's debug pages, for developers.
DEMO_ENV := $(RUN_ENV) DEBUG=false DEMO_MODE=true
DEV_ENV := $(RUN_ENV) DEBUG=true DEMO_MODE=true

.DEFAULT_GOAL := help
.PHONY: help run dev test lint bench worker beat install install-dev migrate need-broker clean messages

help:
	@echo "make run     set up .venv, migrate, seed the demo if empty, serve http://$(HOST):$(PORT)"
	@echo "make dev     like run, with DEBUG on (Django's debug pages), for developers"
	@echo "make test    the test suite (uses DATABASE_URL / CELERY_BROKER_URL from the environment)"
	@echo "make lint    ruff check, ruff format --check, the import layers (lint-imports), makemigrations --check"
	@echo "make worker  a Celery worker (needs CELERY_BROKER_URL)"
	@echo "make beat    Celery beat, the scheduler of the periodic jobs (needs CELERY_BROKER_URL)"
	@echo "make bench   the benchmarks in bench/, if any"

# The stamps re-run pip only when pyproject.toml changes.
$(VENV)/.stamp-venv:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Gongguan needs Python 3.11 or newer; try: make PYTHON=python3.12 ...")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
		echo "Could not create $(VENV). On Debian/Ubuntu: apt-get install python3-venv"; exit 1; }
	@touch $@

$(VENV)/.stamp-run: pyproject.toml $(VENV)/.stamp-venv
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-run
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.stamp-run
install-dev: $(VENV)/.stamp-dev

var:
	@mkdir -p var/staticfiles var/media

migrate: install var
	$(RUN_ENV) $(MANAGE) migrate --noinput

# Translations are loaded from the committed .mo files: nothing here runs
# compilemessages, so GNU gettext is not needed on the user's machine.
run: migrate
	$(DEMO_ENV) $(MANAGE) seed_demo --if-empty
	@echo "Gongguan: http://$(HOST):$(PORT)/  (public page of 尚城国际: http://$(HOST):$(PORT)/c/shangcheng/)"
	@echo "A signer's authenticator code: $(RUN_ENV) DEMO_MODE=true $(MANAGE) demo_totp committee@example.com"
	$(DEMO_ENV) $(MANAGE) runserver $(HOST):$(PORT)

dev: migrate
	$(DEV_ENV) $(MANAGE) seed_demo --if-empty
	$(DEV_ENV) $(MANAGE) runserver $(HOST):$(PORT)

# pytest exits 5 when it collects no tests: a broken selection, never a pass.
test: install-dev var
	@DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$status

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemigrations --check --dry-run

bench: install-dev
	@if [ -f bench/__main__.py ]; then \
		$(PY) -m bench; \
	else \
		echo "No benchmarks yet (bench/__main__.py does not exist); nothing to run."; \
	fi

# Catalogues without source locations, so moving code never rewrites them: the project's
# in locale/, each app's own in <app>/locale/ (apps whose templates live in the app).
messages: install-dev
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemessages -l zh_Hans --no-obsolete --no-location \
		--ignore=.venv --ignore=var --ignore=bench --ignore=tests --ignore=docs
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) compilemessages -l zh_Hans --ignore=.venv

worker: install var need-broker
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install var need-broker
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule

# Without a broker the tasks already run in-process; a worker would have nothing to do.
need-broker:
	@test -n "$$CELERY_BROKER_URL" || { \
		echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) and DATABASE_URL first; see README."; exit 1; }

clean:
	rm -rf $(VENV) var/staticfiles
