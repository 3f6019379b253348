# One command per job; each installs what it needs first (idempotent, keyed on pyproject.toml).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: install install-dev demo test lint bench bench-pipeline data paper clean

# install: what sigbench itself needs (demo, bench, paper); install-dev adds the test tools
# and every optional integration the tests exercise. The split keeps a fresh-clone `make demo`
# from paying for packages it never imports (README: "Installing").
install: $(STAMP)
install-dev: $(DEV_STAMP)

# torch first (pinned, from the local wheel store), then the two signature packages that
# compile against numpy/torch and so need --no-build-isolation, then the package itself.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q torch==2.14.1 torchvision==0.29.1 numpy
	$(BIN)/pip install -q --no-build-isolation iisignature signatory
	$(BIN)/pip install -q --no-build-isolation -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install -q --no-build-isolation -e '.[dev,ray,mlflow,tensorboard,tune]'
	touch $(DEV_STAMP)

demo: install
	$(BIN)/sigbench train configs/demo.yaml

lint: install-dev
	$(BIN)/ruff check sigbench tests scripts
	$(BIN)/ruff format --check sigbench tests scripts
	$(BIN)/lint-imports

# The 15 slowest tests are listed at the end, so that a CI log shows where the time goes.
test: lint
	$(BIN)/python -m pytest -q --durations=15

bench: install
	$(BIN)/python scripts/bench_signature.py

# The pipeline at scale: decode / featurize / train seconds and peak RSS of one train and a
# 10-point depth grid on a fire-sized folder, and of one train on 100,000 images. The two
# workloads are generated once under $(BENCH_ROOT) (a few minutes) and reused.
BENCH_ROOT ?= /tmp/sigbench-bench
bench-pipeline: install
	$(BIN)/python scripts/bench_pipeline.py --root $(BENCH_ROOT)

# Fashion-MNIST as IDX files, from Debian's package (only when it is not there already).
FASHION_MNIST := /usr/share/datasets/fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

data:
	test -d $(FASHION_MNIST) || \
		($(SUDO) apt-get update && $(SUDO) apt-get install -y dataset-fashion-mnist)

# The paper's ablation tables 2, 3 and 4 re-run on a binary Fashion-MNIST pair (the paper's
# fire task is binary too), each point at $(PAPER_SEEDS) seeds, sized to finish within an hour
# on 2 cores; re-running skips finished runs. Tables, plots and the verdict on each of the
# paper's claims (<grid>_claims.md) land in $(PAPER_RESULTS)/tables.
PAPER_RESULTS ?= results/paper
PAPER_JOBS ?= 2
PAPER_SEEDS ?= 3
PAPER_SET ?= --set "data.classes=[t-shirt/top, shirt]" --set data.max_per_class=2000 \
	--set train.epochs=40

paper: install data
	for grid in neurons batch_size depth; do \
		$(BIN)/sigbench ablate --grid $$grid --config configs/fashion_d4.yaml $(PAPER_SET) \
			--seeds $(PAPER_SEEDS) --jobs $(PAPER_JOBS) --results $(PAPER_RESULTS) || exit 1; \
	done
	$(BIN)/sigbench report --results $(PAPER_RESULTS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
