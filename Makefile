# The commands people type. `make run` and `make test` do every set-up step themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Local use runs in debug mode with a development secret; production sets DJANGO_DEBUG=false
# and must then provide DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS (see .env.example).
export DJANGO_DEBUG ?= true

# Python writes its byte-code caches, whatever the shell says: without them every test worker compiles the project
# and rewrites every test module's asserts again (about 6 s a worker, every run).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test venv migrate seed lint check clean bench signing-key production-smoke

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

seed: migrate signing-key
	$(PY) manage.py seed_demo

# A development key that signs the audit checkpoints (var/ is not committed); production sets AUDIT_SIGNING_KEY_FILE.
signing-key: venv
	$(PY) manage.py audit_signing_key --create var/audit-signing-dev.pem --if-missing > /dev/null

run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

# The suite in parallel, one worker per core (pytest-xdist; tests are handed out one by one, so each worker keeps
# pytest-django's order: the tests that flush the database run last); TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= auto
test: venv
	$(PY) -m pytest -n $(TEST_WORKERS)

# The production start as CI checks it (README, "Production"): PostgreSQL on 127.0.0.1:5432, gunicorn, a signed-in client.
production-smoke: venv
	.ci/production-smoke

lint: venv
	$(VENV)/bin/ruff check .

check: venv
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# The scale benchmark (bench/scale.py; docs/benchmarks.md): for each database in BENCH_DATABASES (sqlite postgresql)
# and each size in BENCH_SIZES (1000 10000 100000 incidents) a scratch database is migrated and seeded with
# seed_scale, then the issue's pages and operations are timed beside their floors in production mode. BENCH_CASES
# (e.g. "api admin") and BENCH_REPEAT make a quick run; PostgreSQL uses the roles of .ci/run (BENCH_PG_OWNER_URL,
# BENCH_PG_RUNTIME_URL); every variable is listed in bench/scale.py. It also runs the older focused benchmarks once
# per database and adds their output (BENCH_PARTS=none skips them); `make bench-parts` runs them alone: blast radius
# on growing graphs, the audit chain's append and verify, a 25,000-component AIBOM import (a throw-away SQLite file,
# or BENCH_DATABASE_URL / BENCH_MIGRATION_DATABASE_URL; AIBOM_COMPONENTS=N), a 1,000,000-row import of affected
# records beside a bare COPY of the same file (PostgreSQL: a throw-away database made by BENCH_PG_OWNER_URL, or
# BENCH_DATABASE_URL / BENCH_MIGRATION_DATABASE_URL; LEDGER_ROWS=N), and the ledger's admin list at 1,000,000
# affected records on PostgreSQL (bench/ledger_list.py: a scratch database; LEDGER_RECORDS=N).
AIBOM_COMPONENTS ?= 25000
LEDGER_ROWS ?= 1000000
LEDGER_RECORDS ?= 1000000
bench: venv
	BENCH_AIBOM_COMPONENTS=$(AIBOM_COMPONENTS) $(PY) bench/scale.py

.PHONY: bench-parts
bench-parts: venv
	$(PY) bench/blast_radius.py
	$(PY) bench/audit_chain.py
	$(PY) bench/aibom_import.py --components $(AIBOM_COMPONENTS) --reimport
	$(PY) bench/ledger_import.py --rows $(LEDGER_ROWS)
	$(PY) bench/ledger_list.py --records $(LEDGER_RECORDS)

# Chart.js for the governance dashboard, vendored (no CDN): the UMD build and its licence from the npm registry,
# checked against the registry's SHA-512 integrity. `make vendor-chartjs CHARTJS_VERSION=4.x.y` to move on. The
# build's last line names a source map that is not vendored; it is dropped, or `collectstatic` in production mode
# (the manifest storage) fails on the missing file.
CHARTJS_VERSION ?= 4.6.1
CHARTJS_DIR := reporting/static/reporting/vendor/chartjs

.PHONY: vendor-chartjs
vendor-chartjs:
	@set -eu; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	tarball=$$(npm view "chart.js@$(CHARTJS_VERSION)" dist.tarball); \
	integrity=$$(npm view "chart.js@$(CHARTJS_VERSION)" dist.integrity); \
	case "$$tarball$$integrity" in *" "*|*"'"*|"") echo "CHARTJS_VERSION must name one exact version" >&2; exit 1;; esac; \
	curl -fsSL --proto '=https' "$$tarball" -o "$$tmp/chart.tgz"; \
	actual="sha512-$$(openssl dgst -sha512 -binary "$$tmp/chart.tgz" | base64 | tr -d '\n')"; \
	if [ "$$actual" != "$$integrity" ]; then echo "integrity mismatch: $$actual != $$integrity" >&2; exit 1; fi; \
	tar -xzf "$$tmp/chart.tgz" -C "$$tmp" package/dist/chart.umd.min.js package/LICENSE.md; \
	mkdir -p $(CHARTJS_DIR); \
	sed '/^\/\/# sourceMappingURL=/d' "$$tmp/package/dist/chart.umd.min.js" > $(CHARTJS_DIR)/chart.umd.min.js; \
	cp "$$tmp/package/LICENSE.md" $(CHARTJS_DIR)/LICENSE.md; \
	printf 'package: chart.js\nversion: %s\ntarball: %s\nintegrity: %s\nfiles: dist/chart.umd.min.js (its sourceMappingURL line dropped), LICENSE.md (MIT)\n' \
		"$(CHARTJS_VERSION)" "$$tarball" "$$integrity" > $(CHARTJS_DIR)/VERSION; \
	echo "Chart.js $(CHARTJS_VERSION) vendored into $(CHARTJS_DIR) ($$integrity)"
