# Comptoir's everyday commands. `make run` and `make test` are the two to remember.
#
# Everything goes through .venv, created on first use from pyproject.toml; the install
# is redone only when pyproject.toml changes (stamp file), so every target is quick
# once the machine is set up.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
# The settings read it too: links in e-mails go to http://127.0.0.1:$(PORT) unless
# PUBLIC_URL says otherwise (README, "Environment variables").
export PORT
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` (auto: one per core; 0 runs in this process).
PYTEST_WORKERS ?= auto
STRIPE_DOUBLE_PORT ?= 12111
OWN_PROCESS_LOG := var/own-process-tests.log
CHROMIUM := /usr/bin/chromium

# Translations: compiled from the catalogues at install (the .mo files are not committed).
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
MAKEMESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=node_modules --ignore=static \
	--ignore=tests --ignore=media

.DEFAULT_GOAL := help
.PHONY: help install run run-stripe serve test lint format bench vendor messages \
	translations migrate seed clean prod-smoke

help:
	@echo "make run      install, migrate, load the demo and serve http://127.0.0.1:$(PORT)"
	@echo "make run-stripe  the same, paying through the local Stripe double (tests/stripe_double)"
	@echo "make test     the whole test suite on SQLite (browser tests if $(CHROMIUM) exists),"
	@echo "              on every core (PYTEST_WORKERS=0 for one process)"
	@echo "make lint     ruff, migrations up to date, Django system checks"
	@echo "make bench    storefront and booking benchmarks (tests/bench/storefront.py, booking.py)"
	@echo "make prod-smoke  build the production configuration as the README says, serve and crawl it"
	@echo "make vendor   front-end assets from the npm registry into static/"
	@echo "make messages update the .po catalogues from the code (needs gettext)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Comptoir needs Python 3.11 or newer ($(PYTHON) is older)." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --quiet --upgrade pip
	$(PY) -m pip install --disable-pip-version-check --quiet -e '.[dev]'
	@# pyproject.toml installs no package (packages = []): the apps live at the top level.
	@# A .pth puts the project on the venv's path, so scripts run from elsewhere
	@# (tests/bench/storefront.py, gunicorn, huey) import config and the apps.
	@$(PY) -c 'import pathlib, sysconfig; \
		pathlib.Path(sysconfig.get_paths()["purelib"], "comptoir-project.pth").write_text("$(CURDIR)\n")'
	@touch $@

install: $(STAMP) translations

# msgfmt (GNU gettext) when present, else Babel (a dev dependency) compiles the same file.
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(STAMP)
	@if command -v msgfmt >/dev/null 2>&1; then \
		msgfmt --check-format -o $@ $<; \
	else \
		$(VENV)/bin/pybabel compile --domain=django -i $< -o $@; \
	fi

translations: $(MO_FILES)

messages: $(STAMP)
	$(PY) manage.py makemessages -l fr -l en --no-obsolete $(MAKEMESSAGES_IGNORE)

migrate: install
	$(PY) manage.py migrate --no-input

# Tasks the seed queues (the providers' approval e-mails) run inline and their mails go
# nowhere, so the demo starts with an empty queue and the accounts stay on screen.
seed: migrate
	HUEY_IMMEDIATE=1 EMAIL_URL=locmem:// $(PY) manage.py seed_demo

# runserver in the foreground, a huey consumer beside it; one Ctrl-C stops both.
run: seed
	@echo
	@echo "Comptoir: http://127.0.0.1:$(PORT)/   admin: http://127.0.0.1:$(PORT)/admin/"
	@echo "Demo accounts are listed above (seed_demo). Ctrl-C stops the server and the worker."
	@echo
	@$(MAKE) --no-print-directory serve

# `make run` with Stripe played by the local double (README, "Going live in Stripe test
# mode"): the double on 127.0.0.1:$(STRIPE_DOUBLE_PORT) in the background, delivering signed
# webhooks to the app's two endpoints with the same secrets the app checks them with. Its
# state lives in memory: stopping it forgets its sessions and connected accounts.
STRIPE_DOUBLE_URL := http://127.0.0.1:$(STRIPE_DOUBLE_PORT)
STRIPE_DOUBLE_PLATFORM_SECRET := whsec_double_platform
STRIPE_DOUBLE_CONNECT_SECRET := whsec_double_connect

run-stripe: seed
	@if $(PY) -c 'import socket; socket.create_connection(("127.0.0.1", $(STRIPE_DOUBLE_PORT)), 1)' 2>/dev/null; then \
		echo "Port $(STRIPE_DOUBLE_PORT) is taken: STRIPE_DOUBLE_PORT=12112 make run-stripe" >&2; exit 1; \
	fi
	@$(PY) -m tests.stripe_double --port $(STRIPE_DOUBLE_PORT) \
		--webhook http://127.0.0.1:$(PORT)/webhooks/stripe/ $(STRIPE_DOUBLE_PLATFORM_SECRET) \
		--connect-webhook http://127.0.0.1:$(PORT)/webhooks/stripe/connect/ \
		$(STRIPE_DOUBLE_CONNECT_SECRET) & double=$$!; \
	trap 'kill -TERM $$double 2>/dev/null; wait $$double 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 50); do \
		kill -0 $$double 2>/dev/null || { echo "The Stripe double did not start." >&2; exit 1; }; \
		$(PY) -c 'import socket; socket.create_connection(("127.0.0.1", $(STRIPE_DOUBLE_PORT)), 1)' 2>/dev/null && break; \
		sleep 0.2; \
	done; \
	echo; \
	echo "Comptoir: http://127.0.0.1:$(PORT)/   Stripe double: $(STRIPE_DOUBLE_URL)/"; \
	echo "Checkout sends you to the double's pay page (Pay / declined card / Cancel) and back."; \
	echo "Ctrl-C stops the server, the worker and the double."; \
	echo; \
	STRIPE_SECRET_KEY=sk_test_double STRIPE_API_BASE=$(STRIPE_DOUBLE_URL) \
		STRIPE_WEBHOOK_SECRET=$(STRIPE_DOUBLE_PLATFORM_SECRET) \
		STRIPE_CONNECT_WEBHOOK_SECRET=$(STRIPE_DOUBLE_CONNECT_SECRET) \
		$(MAKE) --no-print-directory serve

serve: install
	@$(PY) manage.py run_huey & huey=$$!; \
	trap 'kill -TERM $$huey 2>/dev/null; wait $$huey 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install
	@if [ -x $(CHROMIUM) ]; then \
		echo "Browser tests: run with $(CHROMIUM)."; \
	else \
		echo "Browser tests: SKIPPED, $(CHROMIUM) is not installed (apt-get install chromium)."; \
	fi
	@# Tests that migrate the database back and forth run in a process of their own
	@# (tests/conftest.py, own_process), started beside the suite at a lower priority: it
	@# takes the time the suite's workers leave idle (at the end, one waits for the
	@# other) instead of adding half a minute after them. Its report follows the suite's;
	@# its exit code 5 means PYTEST_ARGS selected none of those tests.
	@mkdir -p var; \
	export COMPTOIR_TEST_RUN=$$$$-$$(date +%s); \
	nice -n 10 $(VENV)/bin/pytest -rs -p no:xdist --own-process $(PYTEST_ARGS) \
		> $(OWN_PROCESS_LOG) 2>&1 & own=$$!; \
	trap 'kill $$own 2>/dev/null' INT TERM; \
	echo "$(VENV)/bin/pytest -rs -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)"; \
	$(VENV)/bin/pytest -rs -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS); suite=$$?; \
	wait $$own; own=$$?; \
	echo; echo "==> Tests in their own process (pytest --own-process), beside the suite:"; \
	cat $(OWN_PROCESS_LOG); \
	[ $$suite -eq 0 ] && { [ $$own -eq 0 ] || [ $$own -eq 5 ]; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) tests/bench/storefront.py
	$(PY) tests/bench/booking.py

# README "Production": its release steps on PostgreSQL + Redis, gunicorn and huey, a crawl.
prod-smoke: install
	$(PY) scripts/prod_smoke.py

vendor:
	@if [ -f package.json ]; then npm ci; else echo "No package.json: nothing to install."; fi
	@if [ -f scripts/vendor_leaflet.sh ]; then sh scripts/vendor_leaflet.sh; fi

clean:
	rm -rf $(VENV) var/staticfiles
	find . -path ./$(VENV) -prune -o -name '*.mo' -path '*/locale/*' -print -delete
