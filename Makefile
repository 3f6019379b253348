# One command per job; each installs what it needs first (idempotent, keyed on pyproject.toml).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench paper clean

install: $(STAMP)

# torch first (pinned, from the local wheel store), then the two signature packages that
# compile against numpy/torch and so need --no-build-isolation, then the package itself.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q torch==2.14.1 torchvision==0.29.1 numpy
	$(BIN)/pip install -q --no-build-isolation iisignature signatory
	$(BIN)/pip install -q --no-build-isolation -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/sigbench train configs/demo.yaml

lint: install
	$(BIN)/ruff check sigbench tests scripts
	$(BIN)/ruff format --check sigbench tests scripts

test: lint
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python scripts/bench_signature.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
