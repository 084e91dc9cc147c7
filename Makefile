# Quick start: `make run` (platform with demo data on http://127.0.0.1:8000), `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements/lock.txt | cksum | cut -d' ' -f1)
PYTEST_ARGS ?= -n auto

.PHONY: install run test system-packages lint typecheck ci

$(STAMP): pyproject.toml requirements/lock.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Cửa khẩu số needs Python 3.11 or newer"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/lock.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/cuakhau migrate --noinput
	$(BIN)/cuakhau seed-demo
	$(BIN)/cuakhau serve

system-packages:
	@./scripts/install-system-packages

test: install system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

ci:
	bash .ci/run
