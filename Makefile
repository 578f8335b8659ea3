# mlc - make demo / make test work on a fresh machine with only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS ?= test,examples

.PHONY: demo test lint schema docs bench clean help

help:
	@echo "make demo    set up .venv; validate, run and compile the shipped examples"
	@echo "make test    set up .venv and run the whole test suite"
	@echo "make schema  regenerate schemas/mlc-v1.schema.json from the models"
	@echo "make docs    regenerate docs/diagnostics.md from the code registry"
	@echo "make bench   run the benchmarks in bench/ (installs peers in bench/.venv)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	@touch $@

demo: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" sh scripts/demo.sh

test: $(STAMP)
	$(BIN)/python -m pytest

schema: $(STAMP)
	$(BIN)/python -m mlc.spec.jsonschema > schemas/mlc-v1.schema.json

docs: $(STAMP)
	$(BIN)/python -m mlc.diagnostics.docs > docs/diagnostics.md

BENCH_PY := bench/.venv/bin/python

$(BENCH_PY):
	$(PYTHON) -m venv bench/.venv
	$(BENCH_PY) -m pip install -q --upgrade pip

bench/.venv/.installed: pyproject.toml | $(BENCH_PY)
	$(BENCH_PY) -m pip install -q -e . kfp hera
	@touch $@

bench: bench/.venv/.installed
	$(BENCH_PY) bench/startup.py
	$(BENCH_PY) bench/scale.py
	$(BENCH_PY) bench/hostile.py
	$(BENCH_PY) bench/compile.py
	$(BENCH_PY) bench/run.py

clean:
	rm -rf $(VENV) build .mlc
