# Two commands on a fresh machine with python3: `make serve` and `make test`.
# Each makes .venv and installs what it needs first, and the browser assets (YASGUI at
# /sparql, Swagger UI at /docs, ReDoc at /redoc) from package-lock.json into node_modules/
# when npm is there; without npm, or if the install fails, /sparql serves its plain HTML
# form and /docs and /redoc say what is missing.

# The interpreter .venv is made from: the system's own Python when it is 3.11 or newer and
# can make a venv (Debian and Ubuntu build theirs with profile-guided and link-time
# optimization: the server spends about a tenth less CPU a fresh query on it than on a
# default pyenv build; benchmarks/README.md), else the first python3 on PATH.
# `make PYTHON=/path/to/python3 serve` picks another (after `rm -rf .venv`, for a new one).
SYSTEM_PYTHON := /usr/bin/python3
PYTHON ?= $(shell $(SYSTEM_PYTHON) -c 'import ensurepip, sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $(SYSTEM_PYTHON) || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: serve test build validate lint tidy bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -c 'from wise_kg.publish.ontodoc import warm; warm()'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "warning: npm not found: YASGUI, Swagger UI and ReDoc are not installed; /sparql serves the plain form, /docs and /redoc say so" >&2; \
	elif npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; then \
		touch $@; \
	else \
		echo "warning: npm ci failed: YASGUI, Swagger UI and ReDoc are not installed; /sparql serves the plain form, /docs and /redoc say so" >&2; \
	fi

serve: $(STAMP) $(NODE_STAMP)
	$(BIN)/wise-kg serve

build: $(STAMP)
	$(BIN)/wise-kg build

validate: $(STAMP)
	$(BIN)/wise-kg validate

# The Turtle sources rewritten in their house serialization (the tests require it).
tidy: $(STAMP)
	$(BIN)/wise-kg tidy

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

# The suite in parallel processes at the lowest CPU priority (its report is printed when it
# is done), and meanwhile, at normal priority, the tests marked `timing` (wall-clock bounds,
# memory peaks), so the others' load does not skew what they measure. Plain `pytest` runs
# them all in one process.
test: $(STAMP) $(NODE_STAMP) lint
	@log=$$(mktemp); \
	nice -n 19 $(BIN)/pytest -n 3 --dist worksteal -m "not timing" >"$$log" 2>&1 & rest=$$!; \
	$(BIN)/pytest -p no:cacheprovider -m timing; timing=$$?; \
	wait $$rest; others=$$?; cat "$$log"; rm -f "$$log"; \
	test $$timing = 0 && test $$others = 0

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "make bench needs wrk: apt-get install wrk" >&2; exit 2; }
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/esco_load.py --runs 5
	$(BIN)/python benchmarks/fresh_queries.py --rounds 3 --seconds 10
	$(BIN)/python benchmarks/bench_servers.py --rounds 3 --seconds 10

clean:
	rm -rf $(VENV) .wise-kg .pytest_cache node_modules
