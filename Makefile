# The two commands of the README: `make demo` and `make test`. Each installs what is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Extras to install; CI adds `reference` (torch, numpy) for the cross-checks.
EXTRAS ?= dev,notebooks
comma  := ,
# `make install EXTRAS=` installs the package alone (what `make demo` needs).
PACKAGE := $(if $(EXTRAS),.[$(EXTRAS)],.)
STAMP  := $(VENV)/.installed-$(if $(EXTRAS),$(subst $(comma),-,$(EXTRAS)),package)
# `make notebooks` as root (containers, CI machines) needs --allow-root; with no display there
# is no browser to open, so Jupyter prints the address to open instead.
JUPYTER_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root) \
	$(if $(DISPLAY)$(WAYLAND_DISPLAY)$(filter Darwin,$(shell uname -s)),,--no-browser)

# apt-get's, pip's and npm's output goes to this log; a step that fails prints its last lines.
LOG    := build/make.log
QUIET  = >>$(LOG) 2>&1 || { echo "failed; the last lines of $(LOG):"; tail -n 40 $(LOG); exit 1; }
# The package alone is installed whenever any extras are: `make demo` after `make test` (or
# `make docs`) installs nothing more.
PACKAGE_STAMP := $(VENV)/.installed-package

# The try page's npm packages (package-lock.json): Pyodide and Graphviz compiled to WebAssembly.
NPM_STAMP := node_modules/.installed
VIZ_COPY  := autograd/viz/vendor/viz-global.js

.PHONY: demo test lint pytest bench fuzz notebooks docs install system-deps dot chromium clean help \
	npm try-deps
.DEFAULT_GOAL := demo

help: ## this list
	@awk -F ':.*## ' '/^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The demo needs the package and its dependencies only: no test, lint or notebook tools.
demo: dot ## train a classifier on two moons and write its pictures into out/
	@$(MAKE) -s --no-print-directory install EXTRAS=
	$(BIN)/glassgrad demo --out out

test: system-deps install try-deps lint pytest ## lint, type-check, run every test and notebook (CI)
# (pytest's recipe is further down; this line gives it its `make help` entry)
pytest: ## the tests and the notebooks only, no lint

lint: install ## ruff and strict mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Every test and every notebook, once.
pytest: install
	$(BIN)/python -m pytest -n 2 --nbmake --nbmake-kernel=python3 tests notebooks

bench: ## the benchmarks (installs micrograd to compare with)
	@$(MAKE) -s --no-print-directory install EXTRAS=$(EXTRAS)$(comma)bench
	$(BIN)/python -m benchmarks

# Random programs checked against PyTorch float64, disagreements judged against an exact
# mpmath reference (benchmarks/fuzz.py); prints a summary, fails if glassgrad is judged wrong.
FUZZ_SEED     ?= 0
FUZZ_PROGRAMS ?= 10000
fuzz: ## random programs checked against PyTorch (installs torch, about 750 MB)
	@$(MAKE) -s --no-print-directory install EXTRAS=dev,notebooks,reference
	$(BIN)/python -m benchmarks.fuzz --seed $(FUZZ_SEED) --programs $(FUZZ_PROGRAMS)

notebooks: dot ## open the course in JupyterLab
	@$(MAKE) -s --no-print-directory install EXTRAS=dev,notebooks,lab
	$(BIN)/jupyter lab $(JUPYTER_FLAGS) notebooks/

# The docs site: README, the course executed (PyTorch's notebook needs the reference extra),
# the op table, the API reference, the benchmarks. Static files in site/, no network needed.
docs: dot ## execute the course and build the static site into site/
	@$(BIN)/python -c 'import torch' 2>/dev/null || echo "make docs adds the reference extra"\
	  "to what make test installs: PyTorch CPU (lesson S4 runs it), a 190 MB download, about"\
	  "900 MB in $(VENV)/ with its dependencies; and npm's Pyodide and Graphviz for the"\
	  "try page, 19 MB in node_modules/"
	@$(MAKE) -s --no-print-directory install EXTRAS=dev,notebooks,reference,docs
	@$(MAKE) -s --no-print-directory npm
	$(BIN)/python docs/build_site.py --out site

install: $(STAMP) ## create .venv/ and install the package with EXTRAS (default: dev,notebooks)

$(STAMP): pyproject.toml
	@mkdir -p $(dir $(LOG)) && echo "== $$(date) pip install -e '$(PACKAGE)'" >>$(LOG)
	@echo "installing glassgrad$(if $(EXTRAS),[$(EXTRAS)]) into $(VENV)/ (pip's output: $(LOG))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) $(QUIET)
	@$(BIN)/python -m pip install -q --upgrade pip $(QUIET)
	@$(BIN)/python -m pip install -q -e '$(PACKAGE)' $(QUIET)
	@touch $@ $(PACKAGE_STAMP)

system-deps: dot chromium ## graphviz's dot and chromium (apt-get, when root)

npm: $(NPM_STAMP) $(VIZ_COPY) ## npm packages (19 MB): Pyodide, Graphviz in WebAssembly (try page, pages without dot)

# Graphviz in WebAssembly as package data (git-ignored): a step-through page written without
# graphviz's dot loads it from beside itself, offline (autograd/viz/page.py).
$(VIZ_COPY): $(NPM_STAMP)
	@mkdir -p $(dir $@) && cp node_modules/@viz-js/viz/dist/viz-global.js $@

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "the docs' try page needs npm (Node.js):"\
	  "'sudo apt-get install npm', or see https://nodejs.org/"; exit 1; }
	@mkdir -p $(dir $(LOG)) && echo "== $$(date) npm ci" >>$(LOG)
	@echo "installing the try page's npm packages into node_modules/ (npm's output: $(LOG))"
	@npm ci --no-audit --no-fund $(QUIET)
	@touch $@

# The browser tests of the try page and of a page drawn without dot (with viz-global.js beside
# it) need the npm packages; without npm they are skipped with a reason.
try-deps: ## the npm packages if npm is there (make test: the browser tests that need them)
	@if command -v npm >/dev/null 2>&1; then $(MAKE) -s --no-print-directory npm; else \
	  echo "note: npm is missing, so the browser tests of the try page and of a page"\
	    "drawn without dot will be skipped"; fi

# graphviz's `dot` renders the drawings. Installed with apt-get when we are root, else explained.
dot: ## graphviz's dot program
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing graphviz with apt-get (its output: $(LOG))"; mkdir -p $(dir $(LOG)); \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends graphviz; } $(QUIET); \
	  else \
	    echo "graphviz's 'dot' program is missing. Install it: 'sudo apt-get install graphviz'"\
	         "(Debian/Ubuntu), 'brew install graphviz' (macOS), 'conda install graphviz', or see"\
	         "https://graphviz.org/download/"; exit 1; \
	  fi; }

# Debian's chromium drives the browser test of the step-through page; without it (and not
# root) that one test is skipped with a reason, and everything else still runs.
chromium: ## chromium, for the browser tests
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium with apt-get (its output: $(LOG))"; mkdir -p $(dir $(LOG)); \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } $(QUIET); \
	  else \
	    echo "note: chromium is missing, so the browser test will be skipped"\
	         "(install it with 'sudo apt-get install chromium')"; \
	  fi; }

clean: ## remove .venv/, node_modules/, out/, site/ and the caches
	rm -rf $(VENV) node_modules out site dist build .pytest_cache .mypy_cache .ruff_cache .hypothesis
