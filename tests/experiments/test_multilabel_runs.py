"""Multi-label runs through ``train_run``: metrics, saved predictions, eval, tables and
claims that read ``accuracy``, ONNX and TorchScript exports that end in a sigmoid and
predict as the run folder does, and the commands that refuse them with one line."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import onnx
import pytest

from sigbench.config import validate_config
from sigbench.data.celeba_layout import ATTRIBUTE_NAMES, write_celeba_layout
from sigbench.errors import SigbenchError
from sigbench.experiments.evaluate import evaluate_run
from sigbench.experiments.exports import export_run
from sigbench.experiments.predict import (
    PredictReport,
    open_predictor,
    stream_predictions,
    write_predictions,
)
from sigbench.experiments.robustness import robustness_frame, tta_scores
from sigbench.experiments.train import train_run
from sigbench.reporting.claims import sweep_scores
from sigbench.reporting.tables import point_row, run_row
from sigbench.runs import rundir
from sigbench.runs.grid_records import GridRecord


@pytest.fixture(scope="module")
def celeba_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_celeba_layout(tmp_path_factory.mktemp("celeba"), count=80, size=8)


@pytest.fixture(scope="module")
def multilabel_run(celeba_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = celeba_root
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
        lambda run: export_run(run, "c"),
        lambda run: tta_scores(run, "flips"),
        lambda run: robustness_frame(run, ["flip"]),
    ],
)
def test_single_label_commands_refuse_a_multilabel_run(multilabel_run, command):
    with pytest.raises(SigbenchError, match="is a multi-label run \\(4 attributes\\)") as problem:
        command(multilabel_run)
    assert "\n" not in str(problem.value)


def _predicted(model: Path, images: list[Path]) -> str:
    """``predict --proba``'s CSV for ``images`` from a run folder or an exported file."""
    predictor = open_predictor(model)
    answers = stream_predictions(predictor, images, PredictReport())
    out = io.StringIO()
    write_predictions(answers, predictor.classes, out, fmt="csv", proba=True, multilabel=True)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_a_multilabel_export_ends_in_a_sigmoid_and_predicts_as_the_run(
    multilabel_run: Path, celeba_root: Path, tmp_path: Path, fmt: str
) -> None:
    suffix = ".onnx" if fmt == "onnx" else ".pt"
    result = export_run(multilabel_run, fmt, out=tmp_path / f"model{suffix}")
    info, check = result.info, result.check
    assert info.multilabel and info.classes == list(ATTRIBUTE_NAMES)
    assert "sigmoid" in info.output
    metrics = rundir.read_metrics(multilabel_run)
    assert check.n == 8 and len(check.attribute_max_diff) == len(ATTRIBUTE_NAMES)
    assert max(check.attribute_max_diff) == check.max_prob_diff < 1e-5
    assert check.agreement == 1.0  # every attribute decision of every test image
    assert check.torch_accuracy == pytest.approx(metrics["mean_accuracy"])
    assert check.accuracy == pytest.approx(check.torch_accuracy)
    if fmt == "onnx":
        graph = onnx.load(result.path).graph
        [last] = [node for node in graph.node if graph.output[0].name in node.output]
        assert last.op_type == "Sigmoid"
    images = sorted((celeba_root / "img_align_celeba").glob("*.jpg"))[-6:]
    from_file, from_run = _predicted(result.path, images), _predicted(multilabel_run, images)
    header, *rows = from_file.splitlines()
    assert header == ",".join(["path", "label", "probability", *ATTRIBUTE_NAMES])
    assert len(rows) == 6 and open_predictor(result.path).multilabel
    run_rows = from_run.splitlines()[1:]
    for row, run_row_text in zip(rows, run_rows, strict=True):
        path, label, _, *each = row.split(",")
        run_path, run_label, _, *run_each = run_row_text.split(",")
        assert (path, label) == (run_path, run_label)
        np.testing.assert_allclose(np.float64(each), np.float64(run_each), atol=1e-5)
        present = [name for name, p in zip(ATTRIBUTE_NAMES, each, strict=True) if float(p) > 0.5]
        assert label == (";".join(present) or "(none)")


def test_a_single_label_export_says_so(tmp_path: Path) -> None:
    """Old files have no ``multilabel`` key: they read as single-label, softmax files."""
    from sigbench.export.info import ExportInfo

    info = ExportInfo(["a", "b"], 8, 1, "imagesig_fc", "r", "onnx")
    assert not info.multilabel and "class probabilities" in info.output
    stored = info.to_json().replace(', "multilabel": false', "")
    assert "multilabel" not in stored
    assert not ExportInfo.from_json(stored, tmp_path / "m.onnx").multilabel


def test_every_key_of_a_multilabel_runs_metrics_is_documented(multilabel_run: Path) -> None:
    import re

    pages = [
        Path(__file__).resolve().parents[2] / "docs" / p for p in ("concepts.md", "multilabel.md")
    ]
    documented = set(re.findall(r"`([a-z0-9_]+)`", "".join(p.read_text() for p in pages)))
    assert sorted(set(rundir.read_metrics(multilabel_run)) - documented) == []
