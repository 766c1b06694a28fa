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

.PHONY: demo test lint pytest bench fuzz notebooks docs install system-deps dot chromium clean

# The demo needs the package and its dependencies only: no test, lint or notebook tools.
demo: dot
	$(MAKE) --no-print-directory install EXTRAS=
	$(BIN)/glassgrad demo --out out

test: system-deps install lint pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Every test and every notebook, once.
pytest: install
	$(BIN)/python -m pytest -n 2 --nbmake --nbmake-kernel=python3 tests notebooks

bench: install
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m benchmarks

# Random programs checked against PyTorch float64, disagreements judged against an exact
# mpmath reference (benchmarks/fuzz.py); prints a summary, fails if glassgrad is judged wrong.
FUZZ_SEED     ?= 0
FUZZ_PROGRAMS ?= 10000
fuzz:
	$(MAKE) install EXTRAS=dev,notebooks,reference
	$(BIN)/python -m benchmarks.fuzz --seed $(FUZZ_SEED) --programs $(FUZZ_PROGRAMS)

notebooks: dot
	$(MAKE) --no-print-directory install EXTRAS=dev,notebooks,lab
	$(BIN)/jupyter lab $(JUPYTER_FLAGS) notebooks/

# The docs site: README, the course executed (PyTorch's notebook needs the reference extra),
# the op table, the API reference, the benchmarks. Static files in site/, no network needed.
docs: dot
	$(MAKE) --no-print-directory install EXTRAS=dev,notebooks,reference,docs
	$(BIN)/python docs/build_site.py --out site

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '$(PACKAGE)'
	touch $@

system-deps: dot chromium

# graphviz's `dot` renders the drawings. Installed with apt-get when we are root, else explained.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends graphviz; \
	  else \
	    echo "graphviz's 'dot' program is missing. Install it: 'sudo apt-get install graphviz'"\
	         "(Debian/Ubuntu), 'brew install graphviz' (macOS), 'conda install graphviz', or see"\
	         "https://graphviz.org/download/"; exit 1; \
	  fi; }

# Debian's chromium drives the browser test of the step-through page; without it (and not
# root) that one test is skipped with a reason, and everything else still runs.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; \
	  else \
	    echo "note: chromium is missing, so the browser test will be skipped"\
	         "(install it with 'sudo apt-get install chromium')"; \
	  fi; }

clean:
	rm -rf $(VENV) out site dist build .pytest_cache .mypy_cache .ruff_cache .hypothesis
