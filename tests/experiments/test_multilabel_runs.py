"""Multi-label runs through ``train_run``: metrics, saved predictions, eval, tables and
claims that read ``accuracy``, and the commands that refuse them with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigbench.config import validate_config
from sigbench.data.celeba_layout import write_celeba_layout
from sigbench.errors import SigbenchError
from sigbench.experiments.evaluate import evaluate_run
from sigbench.experiments.exports import export_run
from sigbench.experiments.robustness import robustness_frame, tta_scores
from sigbench.experiments.train import train_run
from sigbench.reporting.claims import sweep_scores
from sigbench.reporting.tables import point_row, run_row
from sigbench.runs import rundir
from sigbench.runs.grid_records import GridRecord


@pytest.fixture(scope="module")
def multilabel_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_celeba_layout(tmp_path_factory.mktemp("celeba"), count=80, size=8)
    config = validate_config(
        {
            "name": "ml",
            "data": {"source": "celeba", "root": str(root), "image_size": 8},
            "signature": {"depth": 2, "path": "time"},
            "model": {"kind": "imagesig_fc", "neurons": 8},
            "train": {"epochs": 3, "batch_size": 32},
        }
    )
    return train_run(config, tmp_path_factory.mktemp("results")).run_dir


def test_a_multilabel_run_saves_attribute_predictions_and_eval_repeats_it(multilabel_run):
    metrics = rundir.read_metrics(multilabel_run)
    labels, predicted = rundir.read_predictions(multilabel_run)
    assert labels.shape == predicted.shape == (8, 4)
    assert metrics["mean_accuracy"] == pytest.approx((labels == predicted).mean())
    assert metrics["exact_match"] == pytest.approx((labels == predicted).all(axis=1).mean())
    again = evaluate_run(multilabel_run)
    assert again["mean_accuracy"] == pytest.approx(metrics["mean_accuracy"])
    for name, scores in metrics["per_attribute"].items():
        assert again["per_attribute"][name] == pytest.approx(scores, nan_ok=True)


def test_tables_and_claims_read_the_mean_scores(multilabel_run):
    metrics = rundir.read_metrics(multilabel_run)
    row = run_row(multilabel_run, [])
    assert row["acc"] == pytest.approx(100 * metrics["mean_accuracy"])
    assert row["f1_macro"] == pytest.approx(metrics["mean_f1"])
    assert row["hter"] == pytest.approx(metrics["mean_hter"])
    assert row["acc_bootstrap"] == pytest.approx([100 * v for v in metrics["mean_accuracy_ci95"]])
    summary = point_row([row])
    assert summary["acc_mean"] == pytest.approx(row["acc"], abs=0.01)
    record = GridRecord(
        name="g", keys=["seed"], points=[{"run_id": multilabel_run.name, "values": {}}]
    )
    (score,) = sweep_scores(multilabel_run.parent.parent, record)
    assert score.accuracy == metrics["mean_accuracy"] and score.correct is None


@pytest.mark.parametrize(
    "command",
    [
        lambda run: export_run(run, "onnx"),
        lambda run: tta_scores(run, "flips"),
        lambda run: robustness_frame(run, ["flip"]),
    ],
)
def test_single_label_commands_refuse_a_multilabel_run(multilabel_run, command):
    with pytest.raises(SigbenchError, match="is a multi-label run \\(4 attributes\\)") as problem:
        command(multilabel_run)
    assert "\n" not in str(problem.value)
