# digest: the README's two set-up commands are `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: site build test lint typecheck bench clean

# Install the pinned runtime dependencies and build the example site into site/.
site: $(RUNTIME_STAMP)
	$(BIN)/python build.py

build: site

# Install the dev tools and run the whole suite: lint, types, tests.
test: $(DEV_STAMP)
	$(BIN)/ruff check digest tests bench build.py
	$(BIN)/mypy --strict digest
	$(BIN)/python -m pytest -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check digest tests bench build.py

typecheck: $(DEV_STAMP)
	$(BIN)/mypy --strict digest

# Benchmarks: print figures against named peers; see bench/README.md.
bench: $(DEV_STAMP)
	$(BIN)/python bench/bench_build.py

$(RUNTIME_STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "digest needs Python 3.11 or newer; run: make PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

clean:
	rm -rf site .cache .pytest_cache .mypy_cache .ruff_cache
