# Two commands on a fresh machine with python3: `make serve` and `make test`.
# Each makes .venv and installs what it needs first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test build validate lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/wise-kg serve

build: $(STAMP)
	$(BIN)/wise-kg build

validate: $(STAMP)
	$(BIN)/wise-kg validate

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

test: $(STAMP) lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .wise-kg .pytest_cache
