# Two commands: `make run` (install + run the whole service), `make test` (install + run the tests).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: setup redis-server run test lint bench bench-full clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# A real redis-server (Debian package). `sieve up` falls back to an in-process one without it.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) \
	      || echo "could not install redis-server"; \
	  else echo "redis-server not installed (apt-get install redis-server)"; fi; }

run: setup redis-server
	$(VENV)/bin/sieve up --port $(PORT)

test: setup redis-server
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -p no:cacheprovider

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) .sieve-data

# The benchmark (not part of the tests): `make bench` (16-256 MB), `make bench-full` (to 1.5 GB).
bench: setup redis-server
	$(PY) -m bench.run

bench-full: setup redis-server
	$(PY) -m bench.run --full
