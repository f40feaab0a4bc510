# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test bench install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(BENCH_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/mdm demo

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: $(BENCH_STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) mdm.db mdm.db-wal mdm.db-shm .pytest_cache test-artifacts bench-out
