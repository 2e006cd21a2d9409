# Gonghui: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := gonghui.settings

.PHONY: run test lint format typecheck bench install messages assets clean-db screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) messages assets

messages: $(STAMP)
	# compilemessages refuses to run where no locale folder exists (a fresh clone before any catalog)
	if [ -d src/gonghui/locale ]; then cd src/gonghui && ../../$(BIN)/gonghui compilemessages -v0; fi

assets:
	bash scripts/build-assets.sh

run: install
	$(BIN)/gonghui migrate -v0
	$(BIN)/gonghui demo --base-url http://127.0.0.1:$(PORT)
	$(BIN)/gonghui runserver 127.0.0.1:$(PORT)

test: install
	GONGHUI_TASKS_INLINE=true GONGHUI_SMS_BACKEND=gonghui.core.sms.MemorySmsBackend $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	# the import direction (docs/architecture.md, CONTRIBUTING.md): contracts in pyproject.toml
	PYTHONPATH=src $(BIN)/lint-imports --no-logo --no-cache

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python bench/import_members.py
	$(BIN)/python bench/redeem.py
	$(BIN)/python bench/flash_registration.py
	$(BIN)/python bench/console_lists.py
	$(BIN)/python bench/dashboard.py

# docs/screenshots/*.png from a throw-away demo database, in Debian's Chromium (apt-get install chromium)
screenshots: install
	$(BIN)/python scripts/screenshots.py --out docs/screenshots
