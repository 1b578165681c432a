# Two commands for a newcomer: `make run` and `make test`. Each builds its own virtualenv on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Re-install when the dependencies change. `run` needs only the runtime; `test` adds the dev extras.
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

.PHONY: run test lint check-deploy clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV): pyproject.toml $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

SANDBOX_DIR := $(or $(PORTAL_DATA_DIR),var)/sandbox

# The demo: DEBUG on, demo accounts allowed, plain HTTP on localhost, and the sandbox (a simulated
# Partner Center with its Microsoft sign-in) on https://127.0.0.1:8443. The portal is pointed at it
# through the PARTNER_CENTER_* variables the sandbox writes to $(SANDBOX_DIR)/portal.env.
run: export DJANGO_DEBUG ?= true
run: export PORTAL_PORT := $(PORT)
run: export PORTAL_HOST := $(HOST)
run: $(RUNTIME)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python -m sandbox init --data-dir $(SANDBOX_DIR)
	@echo
	@$(BIN)/python manage.py seed_demo --reset-passwords
	@echo
	@echo "Portal:  http://$(HOST):$(PORT)/   (Ctrl-C stops the sandbox, the web server, the worker and beat)"
	@echo "Sign in with a demo login above, or with \"Sign in with Microsoft\" as a sandbox partner user."
	@echo
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start --procfile Procfile --env $(SANDBOX_DIR)/portal.env

test: $(DEV)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var
