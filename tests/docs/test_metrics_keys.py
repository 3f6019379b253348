"""Every key a run writes to ``metrics.json`` is documented: a user reading ``threshold`` or
``roc_auc`` in the file finds what it means in docs/concepts.md (run folders)."""

from __future__ import annotations

import re
from pathlib import Path

from sigbench.config import load_config
from sigbench.experiments.train import train_run
from sigbench.runs import rundir

REPO = Path(__file__).resolve().parents[2]
PAGES = ("docs/concepts.md", "docs/multilabel.md")


def documented_keys() -> set[str]:
    text = "".join((REPO / page).read_text() for page in PAGES)
    return set(re.findall(r"`([a-z0-9_]+)`", text))


def test_every_key_of_a_binary_runs_metrics_is_documented(tmp_path: Path) -> None:
    config = load_config(
        REPO / "configs" / "demo.yaml",
        [
            "data.classes=[0,1]", "data.balance=class_weights", "signature.depth=2",
            "train.epochs=2", "model.neurons=8",
        ],
    )  # fmt: skip
    metrics = rundir.read_metrics(train_run(config, tmp_path).run_dir)
    assert {"threshold", "roc_auc", "class_weights", "hter"} <= set(metrics)
    assert sorted(set(metrics) - documented_keys()) == []
