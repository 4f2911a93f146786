# entconv — two commands: `make run` and `make test`. Both set everything up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system-deps
# First Python >= 3.12 found: on PATH, then pyenv's installs, then Debian's.
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3.13 \
	$$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1 && { echo $$p; break; }; done)
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the project needs: pdftotext for the PDF tests, Chromium for the browser
# tests, Pango for WeasyPrint, fonts close to the State's typography, wrk for bench/portal.py,
# redis-server for the shared-cache tests (they start their own on a free port),
# (`manage.py backup` needs pg_dump/pg_restore: postgresql-client, beside PostgreSQL).
SYSTEM_PACKAGES := poppler-utils chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2 wrk redis-server

.PHONY: help install system-deps db run worker test test-sqlite test-postgres lint format bench clean

help:
	@echo "make run    installe, prépare la base SQLite, charge la démo et sert http://$(HOST):$(PORT)"
	@echo "make test   installe et lance toute la suite de tests"
	@echo "make bench  lance les mesures de performance (PostgreSQL)"
	@echo "make lint   ruff check + ruff format --check"

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 ou 3.13 introuvable : installez python3.13 (ou 3.12) puis relancez."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $@

install: $(STAMP)

$(SYSTEM_STAMP): Makefile
	@missing=""; \
	for pkg in $(SYSTEM_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installation des paquets système :$$missing"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null \
				|| { echo "Échec de l'installation de :$$missing"; exit 1; }; \
		else \
			echo "Paquets système manquants. Installez-les en root :"; \
			echo "  sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi
	@mkdir -p $(VENV) && touch $@

system-deps: $(SYSTEM_STAMP)

db: $(STAMP)
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) loaddata reference demo $(basename $(notdir $(wildcard fixtures/convention_templates.json))) -v0
	$(MANAGE) ensure_demo_admin

# The background worker (django.tasks, issuing from the admin) runs beside the server and
# stops with it.
run: $(STAMP) $(SYSTEM_STAMP)
	@DEBUG=1 $(MAKE) --no-print-directory db
	@DEBUG=1 $(MANAGE) db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(MANAGE) runserver $(HOST):$(PORT)

worker: $(STAMP)
	$(MANAGE) db_worker

# pytest exits 5 when it collected no test: that is a failure, never a silent pass.
test: $(STAMP) $(SYSTEM_STAMP)
	@status=0; $(BIN)/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "Aucun test n'a été exécuté : échec."; exit 1; fi; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Only the benchmark compares against LibreOffice: the application never needs it.
BENCH_PACKAGES := libreoffice-writer-nogui

bench: $(STAMP) $(SYSTEM_STAMP)
	@for pkg in $(BENCH_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$pkg >/dev/null; \
		else echo "Pour comparer avec LibreOffice : sudo apt-get install -y $$pkg"; fi; }; done
	@for script in bench/*.py; do \
		case $$script in bench/_*|bench/generate_*) continue;; esac; \
		echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

clean:
	rm -rf $(VENV) db.sqlite3 media private staticfiles
