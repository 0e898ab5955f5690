# Two commands: `make run` serves the product with demo data; `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_CITIES ?= 2000

.PHONY: install run test schemathesis-full lint format typecheck worker bench messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	@set -e; export DEBUG=true; \
	$(BIN)/python manage.py migrate --no-input; \
	$(BIN)/python manage.py load_demo --cities $(DEMO_CITIES); \
	if [ -n "$$CELERY_BROKER_URL" ]; then \
		$(BIN)/celery -A citymatch worker --loglevel=warning --concurrency=2 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(BIN)/python manage.py run_scoring --wait \
		|| echo "Scoring did not finish: the pages show the last complete run."; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest

# Every check, 50 examples per operation and the coverage phase (several minutes).
schemathesis-full: install
	SCHEMATHESIS_FULL=1 $(BIN)/python -m pytest tests/citymatch/api/test_schemathesis.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy .

worker: install
	$(BIN)/celery -A citymatch worker --loglevel=info

bench: install
	$(BIN)/python bench/scoring.py
	$(BIN)/python bench/api.py

# Refresh the Japanese and Vietnamese catalogues from the code and templates, then compile them
# (needs GNU gettext). The compiled .mo files are committed: running the product needs no gettext.
MAKEMESSAGES_FLAGS := --locale=ja --locale=vi --no-obsolete --no-wrap --add-location=file \
	--ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench --ignore=node_modules
messages: install
	$(BIN)/python manage.py makemessages $(MAKEMESSAGES_FLAGS)
	$(BIN)/python manage.py compilemessages --locale=ja --locale=vi --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache .mypy_cache
