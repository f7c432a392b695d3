# digest: the README's two set-up commands are `make serve` (or `make site`, which builds without
# serving) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
BENCH_STAMP   := $(VENV)/.bench-installed
PEERS_STAMP   := $(VENV)/.peers-installed
COMPILE_STAMP := $(VENV)/.compile-installed
# The analysis compiled to C (digest/compiled.py, into digest/_compiled/): tried again when the
# modules it compiles (compiled.py's MODULES) change.
COMPILED      := $(VENV)/.analysis-compiled
ANALYSIS      := $(addprefix digest/analyze/,dedup.py keywords.py quotes.py sentences.py summarize.py text.py topics.py) \
                 digest/compiled.py digest/sourcedigest.py
CHECKERS_STAMP := node_modules/.installed

.PHONY: site build test lint typecheck bench clean chromium serve fuzz checkers

# Install the pinned runtime dependencies and build the example site into site/.
site: $(RUNTIME_STAMP) $(COMPILED)
	$(BIN)/python build.py

build: site

# Install, build the example and preview it at http://127.0.0.1:8000/ (rebuilds and reloads on save).
serve: $(RUNTIME_STAMP) $(COMPILED)
	$(BIN)/python build.py serve

# Install the dev tools (and Debian's Chromium for the browser tests) and run the whole suite.
test: $(DEV_STAMP) $(COMPILED) chromium $(CHECKERS_STAMP)
	$(BIN)/ruff check digest tests bench build.py
	$(BIN)/mypy --strict digest
	$(BIN)/python -m pytest -q

# The property-based tests with many more (random) examples than make test runs; what they find
# is kept in .cache/hypothesis and replayed first next time.
fuzz: $(DEV_STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/test_fuzz.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check digest tests bench build.py

typecheck: $(DEV_STAMP)
	$(BIN)/mypy --strict digest

# Benchmarks: print figures against named peers; see bench/README.md.
bench: $(BENCH_STAMP) $(PEERS_STAMP) $(COMPILED)
	$(BIN)/python bench/bench_analysis.py
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_serve.py
	$(BIN)/python bench/bench_peers.py
	$(BIN)/python bench/bench_busy.py
	$(BIN)/python bench/bench_search_parts.py

$(RUNTIME_STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "digest needs Python 3.11 or newer; run: make PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(COMPILE_STAMP): requirements-compile.txt $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-compile.txt
	touch $@

# Where no C compiler is, this says so (once, until those modules change) and builds run the same
# analysis as Python.
$(COMPILED): $(ANALYSIS) $(COMPILE_STAMP)
	$(BIN)/python -m digest.compiled || true
	touch $@

$(DEV_STAMP): requirements-dev.txt requirements-compile.txt $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(BENCH_STAMP): requirements-bench.txt $(DEV_STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

# Pelican and MkDocs for bench/bench_peers.py, in a venv of their own: Pelican 4.12 needs pygments<2.20,
# requirements-dev.txt pins 2.21.0.
$(PEERS_STAMP): requirements-bench-peers.txt $(RUNTIME_STAMP)
	test -x $(VENV)/peers/bin/python || $(PYTHON) -m venv $(VENV)/peers
	$(VENV)/peers/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-bench-peers.txt
	touch $@

# Headless Chromium for the browser tests: Debian's package (Playwright drives it; it never downloads one).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || { \
	  echo "could not install chromium: run 'sudo apt-get install chromium', then make test again"; exit 1; }

# The site checkers of tests/test_checkers.py that come from npm (package.json, exact versions in
# package-lock.json): the Nu HTML checker (vnu-jar, run with Java), axe-core and Lighthouse 12.2.3.
# Java and Node come from Debian when missing. --ignore-scripts: vnu-jar's postinstall would try to
# download a Java runtime, which the Debian one makes unnecessary.
checkers: $(CHECKERS_STAMP)

$(CHECKERS_STAMP): package.json package-lock.json
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing Debian's Java runtime for the Nu HTML checker"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; } || { \
	  echo "could not install Java: run 'sudo apt-get install openjdk-17-jre-headless', then make test again"; exit 1; }
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's Node.js and npm for axe-core and Lighthouse"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; } || { \
	  echo "could not install Node.js: run 'sudo apt-get install nodejs npm' (Node 18.16 or newer), then make test again"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf site .cache .pytest_cache .mypy_cache .ruff_cache digest/_compiled digest/_compiled-* $(COMPILED)
