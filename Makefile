# Portail Familles — `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The settings derive SITE_URL (links in e-mails, the API's URLs) from PORT.
export PORT
PG_URL ?= postgres://postgres@127.0.0.1:5432/portail_familles
STAMP := $(VENV)/.installed

.PHONY: cluster cluster-check cluster-stop run test bench lint format migrations-check messages makemessages install run-deps system-deps postgres test-sqlite test-postgres clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# What `make run` needs from Debian (WeasyPrint's libraries), then what the tests add.
run-deps:
	@bash scripts/system-deps.sh run

system-deps:
	@bash scripts/system-deps.sh test

postgres:
	@bash scripts/ensure-postgres.sh

# GNU gettext when present, else polib: `make run` does not need gettext.
messages: install
	@if command -v msgfmt >/dev/null; then \
	  $(PY) manage.py compilemessages --ignore=.venv -v 0; \
	else \
	  $(PY) scripts/compile_messages.py; \
	fi

makemessages: install
	$(PY) manage.py makemessages -l fr -l en --ignore=.venv --ignore=bench --ignore=tests --no-obsolete

run: install run-deps messages
	@bash scripts/run-dev.sh --check-ports
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py load_demo_data
	@echo "Portail Familles: http://127.0.0.1:$(PORT)/  (family area: /espace-famille/, admin: /admin/)"
	@exec bash scripts/run-dev.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

test-sqlite: install
	$(VENV)/bin/pytest -n 2

test-postgres: install postgres
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -n 2

test: install system-deps postgres messages
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check
	$(MAKE) --no-print-directory migrations-check lint
	@echo "== pytest on SQLite =="
	$(MAKE) --no-print-directory test-sqlite
	@echo "== pytest on PostgreSQL =="
	$(MAKE) --no-print-directory test-postgres
	@echo "== cluster check =="
	$(MAKE) --no-print-directory cluster-check; status=$$?; $(MAKE) --no-print-directory cluster-stop; exit $$status

# Portail Familles as a service on the loopback (docs/operations.md): PostgreSQL, Redis,
# SeaweedFS, two gunicorn instances, a worker, two schedulers and nginx on port 18080.
cluster: install postgres messages
	@bash scripts/cluster-deps.sh
	$(PY) scripts/cluster.py start

cluster-check: cluster
	$(PY) scripts/cluster_check.py

cluster-stop:
	$(PY) scripts/cluster.py stop

bench: install postgres
	@bash scripts/bench-deps.sh
	$(PY) bench/http.py
	$(PY) bench/scale.py
	$(PY) bench/run.py
	$(PY) bench/certificates.py
	$(PY) bench/reservations.py

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles
