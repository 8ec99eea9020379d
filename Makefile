# The registry's two everyday commands: `make run` and `make test` (see README).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# A throwaway key for the `check --deploy` static check only; never used to serve anything.
DEPLOY_CHECK_ENV := DJANGO_SETTINGS_MODULE=registry.settings DEBUG=0 ALLOWED_HOSTS=registry.example.org \
	SECRET_KEY=deploy-check-$(shell $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))')

.PHONY: venv run serve test lint checks pytest clean backup restore

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

run: venv
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_seed_data
	DEBUG=1 $(PY) manage.py setup_editors
	@echo ""
	@echo "  CPEC Project Registry on http://$(HOST):$(PORT)/  (landing page)"
	@echo "    API:          http://$(HOST):$(PORT)/api/v1/"
	@echo "    API docs:     http://$(HOST):$(PORT)/api/docs/  (ReDoc: /api/redoc/)"
	@echo "    Admin:        http://$(HOST):$(PORT)/admin/"
	@echo "    Health:       http://$(HOST):$(PORT)/healthz"
	@echo "  Create an editor account:  DEBUG=1 $(PY) manage.py createsuperuser"
	@echo "    (or an editor without superuser rights: see README, 'Editors')"
	@echo ""
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# Production serving: gunicorn with the settings in the environment (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, ...).
serve: venv
	$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py migrate --noinput
	$(VENV)/bin/gunicorn --config registry/gunicorn.conf.py

# Data safety: the whole registry, history included (the file holds password hashes and API token digests).
backup: venv
	$(PY) manage.py backup_registry $(if $(FILE),--output $(FILE))

restore: venv
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/cpec-registry-<time>.json.gz"; exit 2; }
	$(PY) manage.py restore_registry $(FILE)

# ruff, then the layering contracts in .importlinter (registry imports no app, projects no indicators, ...).
lint: venv
	$(VENV)/bin/ruff check .
	PYTHONPATH=. $(VENV)/bin/lint-imports --no-cache

checks: venv
	DJANGO_SETTINGS_MODULE=registry.test_settings $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=registry.test_settings $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(DEPLOY_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

# Tests run on every core (pytest-xdist) and in a random order (pytest-randomly; `-p no:randomly` to turn it off).
# Whole files go to one worker (--dist loadfile), so a module-scoped fixture (the seed loads) runs once, not per worker.
PYTEST_WORKERS ?= auto
pytest: venv
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: lint checks pytest

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
