# One command per chore. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Two stamps: `make run` needs the runtime only; tests, lint and benchmarks add requirements-dev.txt.
RUNTIME_STAMP := $(VENV)/.runtime-installed
STAMP := $(VENV)/.dev-installed
# axe-core, from the npm registry: the browser tests inject it into pages (it is never served).
AXE := node_modules/axe-core/axe.min.js

# `make test` runs on the real services: PostgreSQL, Redis, Chromium.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
TEST_WAREHOUSE_URL ?= postgres://postgres@127.0.0.1:5432/warehouse
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# Production's settings, every variable explicit: mail goes to an SMTP address where nothing listens (tests
# that read mail start an SMTP sink, in-process sends use Django's locmem backend); the test client's
# host, testserver, is added by the test run itself.
TEST_ENV := DEBUG=0 SECRET_KEY=test-only-secret-key DATABASE_URL=$(TEST_DATABASE_URL) \
	WAREHOUSE_URL=$(TEST_WAREHOUSE_URL) REDIS_URL=$(TEST_REDIS_URL) EMAIL_URL=smtp://127.0.0.1:1025 \
	PORTAL_BASE_URL=http://127.0.0.1:8000 ALLOWED_HOSTS=localhost,127.0.0.1 SECURE_COOKIES=0 PORTAL_BENCH=1
# `make bench-stats` uses databases of its own on the same PostgreSQL, and replaces their warehouse.
BENCH_DATABASE ?= portal_bench
BENCH_WAREHOUSE ?= warehouse_bench
# (`=`: BENCH_REDIS_URL is set further down.) The benchmark sends no e-mail: its messages stay in the outbox.
BENCH_ENV = DEBUG=0 SECRET_KEY=bench-only-secret-key SECURE_COOKIES=0 PORTAL_BENCH=1 \
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DATABASE) \
	WAREHOUSE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_WAREHOUSE) REDIS_URL=$(BENCH_REDIS_URL) \
	EMAIL_URL=smtp://127.0.0.1:1025 PORTAL_BASE_URL=http://127.0.0.1:8000 ALLOWED_HOSTS=localhost,127.0.0.1
# `make run` is the embedded mode: the cases in SQLite and the warehouse in DuckDB, files under var/, no server at all.
HOST ?= 127.0.0.1
PORT ?= 8000
# The e-mails' links name the address actually served (`make run PORT=8080` links to :8080).
RUN_ENV = DEBUG=1 DEMO_MFA_BYPASS_CODE=000000 PORTAL_BASE_URL=http://$(HOST):$(PORT)

.PHONY: run test lint format venv worker clean bench-stats bench-engines bench bench-disclosure drills check-runtime api-schema

$(RUNTIME_STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# The runtime alone, in a clean virtualenv: every module of the apps imports and `check --deploy` passes with a
# complete production environment, with no test, lint or benchmark package installed.
RUNTIME_VENV ?= var/runtime-venv
DEPLOY_ENV := PORTAL_BENCH=0 ALLOWED_HOSTS=portal.example SECURE_COOKIES=1 PORTAL_BASE_URL=https://portal.example \
	SECRET_KEY=check-runtime-only-key-9f2c4e7a1b3d5f6081a2b3c4d5e6f708192a3b4c5d6e7f80
check-runtime:
	rm -rf $(RUNTIME_VENV)
	$(PYTHON) -m venv $(RUNTIME_VENV) || python3 -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(RUNTIME_VENV)/bin/python -m pip install --quiet -r requirements.txt
	$(TEST_ENV) $(DEPLOY_ENV) \
		$(RUNTIME_VENV)/bin/python -m tests.runtime_imports
	$(TEST_ENV) $(DEPLOY_ENV) \
		$(RUNTIME_VENV)/bin/python manage.py check --deploy --fail-level WARNING

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

run: $(RUNTIME_STAMP)
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py compilemessages --ignore=.venv -v0
	$(RUN_ENV) $(PY) manage.py seed_demo
	@mkdir -p var; \
	$(RUN_ENV) $(VENV)/bin/celery -A portal worker --beat --scheduler django_celery_beat.schedulers:DatabaseScheduler --pool=solo --loglevel=INFO --logfile=var/worker.log & \
	worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Portal: http://$(HOST):$(PORT)/  (job worker log: var/worker.log)"; \
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

test: $(STAMP) $(AXE)
	$(TEST_ENV) $(PY) manage.py compilemessages --ignore=.venv -v0
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# A benchmark, not a test: build_table vs the raw GROUP BY at 1 M and 10 M service rows (BENCH_ARGS="--rows 100000").
bench-stats: $(STAMP)
	createdb -h 127.0.0.1 -U postgres $(BENCH_DATABASE) 2>/dev/null || true
	createdb -h 127.0.0.1 -U postgres $(BENCH_WAREHOUSE) 2>/dev/null || true
	$(BENCH_ENV) $(PY) manage.py migrate --noinput -v0
	$(BENCH_ENV) $(PY) manage.py bench_stats $(BENCH_ARGS)

# A benchmark, not a test: build_table vs each engine's own GROUP BY CUBE on PostgreSQL, DuckDB and chDB, at 1 M
# service rows (BENCH_ARGS="--rows 1000000 10000000"); DuckDB and chDB files under var/bench/engines/.
bench-engines: $(STAMP)
	createdb -h 127.0.0.1 -U postgres $(BENCH_DATABASE) 2>/dev/null || true
	createdb -h 127.0.0.1 -U postgres $(BENCH_WAREHOUSE) 2>/dev/null || true
	$(BENCH_ENV) $(PY) manage.py migrate --noinput -v0
	$(BENCH_ENV) $(PY) manage.py bench_engines $(BENCH_ARGS)

# Every benchmark in one run, figures printed and in var/bench/results.json (README, Performance). About
# 10 minutes the first time (it generates two warehouses and the cases), less after; BENCH_QUICK=1: about 2.
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/8
bench: $(STAMP)
	createdb -h 127.0.0.1 -U postgres $(BENCH_DATABASE) 2>/dev/null || true
	createdb -h 127.0.0.1 -U postgres $(BENCH_WAREHOUSE) 2>/dev/null || true
	$(BENCH_ENV) REDIS_URL=$(BENCH_REDIS_URL) $(PY) manage.py migrate --noinput -v0
	$(BENCH_ENV) REDIS_URL=$(BENCH_REDIS_URL) $(PY) manage.py bench $(if $(BENCH_QUICK),--quick) $(BENCH_ARGS)

# Disclosure control alone, in memory (no database; also part of `make bench`): the sparse 4-D table, and a new
# 4-D table protected against 10, 50 and 200 linked tables. BENCH_QUICK=1: against 5 and 10 only.
bench-disclosure: $(STAMP)
	DEBUG=1 PORTAL_BENCH=1 $(PY) manage.py bench --part linked --json var/bench/disclosure.json $(if $(BENCH_QUICK),--quick)

# lint-imports: the import-linter contracts of pyproject.toml (which app may import which, no circle).
# audit_requirements: pip-audit of requirements.txt and requirements-dev.txt; fails on a known vulnerability, warns when the advisory
# service cannot be reached (nothing audited).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(PY) manage.py audit_requirements --requirements requirements.txt
	DEBUG=1 $(PY) manage.py audit_requirements --requirements requirements-dev.txt

# The API's OpenAPI schema, committed (tests/api/test_schema.py fails while it differs from the code's).
api-schema: $(RUNTIME_STAMP)
	DEBUG=1 $(PY) manage.py spectacular --lang en --validate --fail-on-warn --file requests_app/api/openapi.yaml

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf var/*.sqlite3* var/warehouse.duckdb* var/duckdb-tmp var/celery var/private

# Fault drills (tests/drills, README "Fault drills"): a worker killed mid-job, Redis, the mail server and
# PostgreSQL down, conflicting transitions. The deterministic ones run in `make test` too; this runs them all,
# the slow ones included (PostgreSQL restarted under load, random kills). About 3 minutes.
drills: $(STAMP)
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(TEST_ENV) $(PY) -m pytest -m drill tests/drills $(PYTEST_ARGS)
