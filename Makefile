# The commands people type. `make run` and `make test` do every set-up step themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Local use runs in debug mode with a development secret; production sets DJANGO_DEBUG=false
# and must then provide DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS (see .env.example).
export DJANGO_DEBUG ?= true

.PHONY: run test venv migrate seed lint check clean bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .

check: venv
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

bench: venv
	$(PY) bench/blast_radius.py
