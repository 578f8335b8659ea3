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
	@echo "make docs    regenerate docs/diagnostics.md and the churn DAG picture"
	@echo "make bench   run the benchmarks in bench/ (installs peers in bench/.venv)"
	@echo "make lint    check the layering of STYLE.md (import-linter contracts)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	@touch $@

demo: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" sh scripts/demo.sh

# A wheelhouse for the tests that install mlc the way users do (pre-commit hooks, the wheel):
# they then run with --no-index, talking to nothing but the file system.
WHEELS := .cache/wheels

$(WHEELS)/.stamp: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip wheel -q -w $(WHEELS) hatchling .
	rm -f $(WHEELS)/mlc-*.whl
	@touch $@

# The Amazon States Language linters (statelint, asl-validator), pinned in tests/aws.
NODE_TOOLS := tests/aws/node_modules/.stamp

$(NODE_TOOLS): tests/aws/package.json tests/aws/package-lock.json
	cd tests/aws && npm ci --no-audit --no-fund --silent
	@touch $@

test: $(STAMP) $(WHEELS)/.stamp $(NODE_TOOLS)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/lint-imports --no-cache

schema: $(STAMP)
	$(BIN)/python -m mlc.spec.jsonschema > schemas/mlc-v1.schema.json

docs: $(STAMP)
	$(BIN)/python -m mlc.diagnostics.docs > docs/diagnostics.md
	$(BIN)/mlc graph examples/churn/mlc.yaml --format dot > docs/img/churn-dag.dot
	@if command -v dot >/dev/null; then dot -Tpng -Gdpi=110 docs/img/churn-dag.dot -o docs/img/churn-dag.png; \
	else echo "graphviz not installed (apt-get install graphviz): docs/img/churn-dag.png not redrawn"; fi

BENCH_PY := bench/.venv/bin/python

$(BENCH_PY):
	$(PYTHON) -m venv bench/.venv
	$(BENCH_PY) -m pip install -q --upgrade pip

bench/.venv/.installed: pyproject.toml | $(BENCH_PY)
	$(BENCH_PY) -m pip install -q -e . kfp hera metaflow
	@touch $@

bench: bench/.venv/.installed
	$(BENCH_PY) bench/startup.py
	$(BENCH_PY) bench/scale.py
	$(BENCH_PY) bench/hostile.py
	$(BENCH_PY) bench/compile.py
	$(BENCH_PY) bench/stepfunctions.py
	$(BENCH_PY) bench/shards.py
	$(BENCH_PY) bench/run.py

clean:
	rm -rf $(VENV) build .mlc .cache
