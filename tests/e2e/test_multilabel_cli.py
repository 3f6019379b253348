"""Multi-label runs end to end: a CelebA-layout folder from the generator, trained by the CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from sigbench.data.celeba_layout import ATTRIBUTE_NAMES, write_celeba_layout
from sigbench.errors import percent
from tests.helpers.cli import REPO, RunCli, metrics_of, only_run

pytestmark = pytest.mark.e2e

FAST = [
    "data.image_size=12",
    "signature.depth=3",
    "train.epochs=40",
    "train.batch_size=64",
]


@pytest.fixture(scope="module")
def celeba_digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_celeba_layout(tmp_path_factory.mktemp("celeba"), count=300, size=12)


def _train(run_cli: RunCli, root: Path, results: Path, *overrides: str) -> Path:
    sets = [f"data.root={root}", *FAST, *overrides]
    done = run_cli(
        "train", REPO / "configs" / "celeba_digits.yaml", "--results", results,
        *[arg for value in sets for arg in ("--set", value)],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "mean_accuracy" in done.stdout and "accuracy per attribute" in done.stdout
    return only_run(results)


def _check_multilabel_metrics(metrics: dict, least: float) -> None:
    assert metrics["task"] == "multilabel" and metrics["classes"] == list(ATTRIBUTE_NAMES)
    per_attribute = metrics["per_attribute"]
    assert list(per_attribute) == list(ATTRIBUTE_NAMES)
    accuracies = [per_attribute[name]["accuracy"] for name in ATTRIBUTE_NAMES]
    assert metrics["mean_accuracy"] == pytest.approx(np.mean(accuracies))
    hters = [per_attribute[name]["hter"] for name in ATTRIBUTE_NAMES]
    assert metrics["mean_hter"] == pytest.approx(np.mean(hters))
    assert 0.0 <= metrics["exact_match"] <= min(accuracies)
    assert metrics["mean_accuracy"] > least  # learnable attributes: above guessing
    assert metrics["n_test"] == 30 and set(metrics["pos_weight"]) == set(ATTRIBUTE_NAMES)
    assert "accuracy" not in metrics


def test_imagesig_fc_trains_multilabel_and_eval_predict_follow(
    run_cli: RunCli, celeba_digits: Path, tmp_path: Path
) -> None:
    run = _train(run_cli, celeba_digits, tmp_path / "r")
    metrics = metrics_of(run)
    _check_multilabel_metrics(metrics, 0.7)
    again = run_cli("eval", run)
    assert again.returncode == 0, again.stderr
    assert "mean_accuracy (%)" in again.stdout
    assert percent(metrics["mean_accuracy"]) in again.stdout
    images = celeba_digits / "img_align_celeba"
    shown = run_cli("predict", run, images / "000299.jpg", images / "000300.jpg", "--proba")
    assert shown.returncode == 0, shown.stderr
    header, *rows = list(csv.reader(io.StringIO(shown.stdout)))
    assert header == ["path", "label", "probability", *ATTRIBUTE_NAMES] and len(rows) == 2
    for _, label, probability, *each in rows:
        present = [name for name, p in zip(ATTRIBUTE_NAMES, each, strict=True) if float(p) > 0.5]
        assert label == (";".join(present) or "(none)")
        chance = [float(p) if float(p) > 0.5 else 1 - float(p) for p in each]
        assert float(probability) == pytest.approx(np.prod(chance), abs=1e-5)
    exported = run_cli("export", run)
    assert exported.returncode == 0, exported.stderr
    assert "same attribute decisions" in exported.stdout and "sigmoid" in exported.stdout
    from_file = run_cli("predict", run / "export" / "model.onnx", images / "000299.jpg",
                         images / "000300.jpg", "--proba")  # fmt: skip
    assert from_file.returncode == 0, from_file.stderr
    file_header, *file_rows = list(csv.reader(io.StringIO(from_file.stdout)))
    assert file_header == header
    for file_row, row in zip(file_rows, rows, strict=True):
        assert file_row[:2] == row[:2]  # the same path and the same attributes present
        assert np.float64(file_row[2:]) == pytest.approx(np.float64(row[2:]), abs=1e-5)


@pytest.mark.slow
def test_resnet18_trains_the_same_multilabel_head(
    run_cli: RunCli, celeba_digits: Path, tmp_path: Path
) -> None:
    run = _train(run_cli, celeba_digits, tmp_path / "r", "model.kind=resnet18", "train.epochs=5")
    _check_multilabel_metrics(metrics_of(run), 0.6)
