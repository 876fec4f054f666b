# FTZ Chain: `make demo` runs the whole system locally; `make test` installs and tests everything.
# Both install what they need into .venv, .venv-tools and node_modules (nothing global).

PYTHON ?= python3
VENV := .venv
TOOLS := .venv-tools
GETH := .tools/bin/geth
GETH_VERSION := v1.13.15
PY := $(VENV)/bin/python
export HARDHAT_DISABLE_TELEMETRY_PROMPT := true

.PHONY: help install postgres chromium demo demo-network test lint pytest bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install: $(VENV)/.installed node_modules/.installed $(TOOLS)/.installed $(GETH)  ## install Python, npm, lint tools and geth locally

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# slither pins web3 < 8, so it lives in its own venv.
$(TOOLS)/.installed: constraints-tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip
	$(TOOLS)/bin/pip install --quiet -c constraints-tools.txt slither-analyzer
	@touch $@

# geth 1.13 is the last release with Clique (proof of authority), built from the Go module
# proxy; -checklinkname=0 lets its old memsize dependency link with current Go.
$(GETH):
	@command -v go >/dev/null 2>&1 || { echo "Go is needed to build geth $(GETH_VERSION) (Clique tests)" >&2; exit 1; }
	GOBIN=$(CURDIR)/.tools/bin go install -ldflags=-checklinkname=0 github.com/ethereum/go-ethereum/cmd/geth@$(GETH_VERSION)

# The tests start their own throwaway PostgreSQL server (ftzchain/devpg.py); they need the
# server binaries, which come from Debian's package.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	elif command -v sudo >/dev/null 2>&1; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
	  echo "PostgreSQL server binaries are missing: install Debian's postgresql package (or set FTZ_PG_BIN)" >&2; exit 1; \
	fi

# The portal's browser tests drive Debian's chromium through Playwright (no browser download);
# FTZ_CHROMIUM points them at another binary.
chromium:
	@if [ -n "$${FTZ_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null 2>&1; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "chromium is missing: install Debian's chromium package (or set FTZ_CHROMIUM)" >&2; exit 1; \
	fi

demo: install  ## local anvil chain, contracts, governance, a sample IP record, indexer and API
	$(PY) scripts/demo.py

demo-network: install  ## the same demo on a zone network: a geth Clique validator, indexer, API and agent per zone
	$(PY) scripts/demo.py --network CN-SH,CN-AH,CN-JS

lint: install  ## ruff, ruff format, mypy, import contracts (layers), slither (high/medium findings fail)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(TOOLS)/bin/slither . --fail-medium

pytest: install postgres chromium  ## the test suite alone (real anvil, ganache, PostgreSQL and chromium)
	$(VENV)/bin/pytest

test: lint pytest  ## everything CI runs

bench: install postgres  ## every benchmark (see scripts/bench --help)
	scripts/bench all

clean:  ## remove build output and local state (keeps installs)
	rm -rf build crytic-export .ftz .pytest_cache .mypy_cache .ruff_cache
