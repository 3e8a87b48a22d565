# Two commands for a newcomer:  `make run`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: install run test test-postgres translations browser-deps clean bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d translations --use-fuzzy >/dev/null

## make run: install, migrate, seed, load demo data and serve on http://127.0.0.1:5000 (SQLite),
## with one task-queue worker (SMS outbox, jobs) in the background; Ctrl-C stops both
run: install
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) demo
	@$(FLASK) worker --workers 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM HUP; \
	$(FLASK) run --host $(HOST) --port $(PORT)

## make test: the whole suite (SQLite; set TEST_DATABASE_URL for PostgreSQL), spread over one
## pytest-xdist worker per core (TEST_WORKERS=0 runs it in one process); with PostgreSQL each
## worker makes its own database beside TEST_DATABASE_URL's and drops it at the end
TEST_WORKERS ?= auto
test: install browser-deps
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(TEST_ARGS)

## make bench: speed at province scale on PostgreSQL (tests/bench/speed.py): builds bench_200k and
## bench_20k with flask demo when missing, prints app / raw SQL / naive ModelView and growth;
## BENCH_ARGS="--large 1000000" for the million-row option
bench: install
	$(PY) -m tests.bench $(BENCH_ARGS)

## browser tests need Debian's chromium; install it when missing (root) or say how
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium missing: sudo apt-get install chromium fonts-noto-cjk" >&2; exit 1; fi; }

clean:
	rm -rf $(VENV) instance .pytest_cache
