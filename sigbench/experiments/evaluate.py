"""Scoring a model on its test split, and ``sigbench eval``: a finished run scored again.

A binary task's threshold is chosen on the validation split (the test split never chooses
it), so scoring needs the validation probabilities too.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from sigbench.data import DatasetSplits
from sigbench.experiments.inputs import EvalData, PreparedInputs, prepare_inputs, run_splits
from sigbench.progress import SILENT, Progress
from sigbench.runs import rundir
from sigbench.runs.checkpoint import load_run
from sigbench.training.loop import predict_proba
from sigbench.training.metrics import Evaluation, classification_metrics, threshold_metrics
from sigbench.training.multilabel import multilabel_metrics

log = logging.getLogger(__name__)


def evaluate_model(
    model: torch.nn.Module,
    prepared: PreparedInputs,
    splits: DatasetSplits,
    classes: list[str],
    device: str | torch.device = "cpu",
) -> Evaluation:
    """Test probabilities beside the test images, plus the validation ones a binary task's
    threshold is chosen on (the test split never chooses it; a multi-label task's attributes
    are all cut at ``sigbench.training.multilabel.ATTRIBUTE_THRESHOLD``)."""
    multilabel = splits.test.labels.ndim == 2
    proba = predict_proba(model, prepared.splits["test"], device=device, multilabel=multilabel)
    evaluation = Evaluation(classes, splits.test, proba)
    val = prepared.splits.get("val")
    if evaluation.binary and val is not None and len(val):
        evaluation.val_labels = splits.val.labels
        evaluation.val_proba = predict_proba(model, val, device=device)
    return evaluation


def score(evaluation: Evaluation, top_k: int) -> dict[str, Any]:
    """Every test metric, and for two classes those at the validation-chosen threshold."""
    if evaluation.multilabel:
        return multilabel_metrics(evaluation.labels, evaluation.proba, evaluation.classes)
    metrics = classification_metrics(
        evaluation.labels, evaluation.proba, evaluation.classes, top_k=top_k
    )
    metrics.update(threshold_metrics(evaluation))
    return metrics


def skip_analysis(evaluation: Evaluation) -> bool:
    """The error-analysis pictures show classes; a multi-label run gets none (logged)."""
    if evaluation.multilabel:
        log.warning(
            "--analysis: the error-analysis pictures are for single-label runs; this run is "
            "multi-label, so none were drawn (metrics.json has per-attribute scores)"
        )
    return evaluation.multilabel


def analysis_dir(run: Path, test_data: EvalData | None = None) -> Path:
    """Where ``evaluate_run`` draws: ``analysis/``, or ``analysis-<name>`` for other data."""
    if test_data is None:
        return Path(run) / rundir.ANALYSIS_DIR
    return Path(run) / f"{rundir.ANALYSIS_DIR}-{test_data.path.name}"


def evaluate_run(
    run: Path,
    *,
    test_data: EvalData | None = None,
    progress: Progress = SILENT,
    analysis: bool = False,
) -> dict[str, Any]:
    """Score a finished run on its test split again, or on ``test_data``.

    Loads the splits as ``train_run`` did (same seed), so the validation split, and with it
    a binary threshold, is the same. ``analysis`` redraws the pictures in :func:`analysis_dir`.
    """
    loaded = load_run(run)
    config = loaded.config
    splits = run_splits(loaded, test_data, progress)
    needed = {"test": splits.test}
    if len(loaded.classes) == 2 and not config.data.multilabel:
        needed["val"] = splits.val
    prepared = prepare_inputs(
        config,
        needed,
        cache_dir=rundir.run_cache_dir(loaded.path),
        progress=progress,
        device=str(loaded.device),
    )
    evaluation = evaluate_model(loaded.model, prepared, splits, loaded.classes, loaded.device)
    metrics = score(evaluation, config.train.top_k)
    metrics["n_test"] = len(splits.test.labels)
    if analysis and not skip_analysis(evaluation):
        from sigbench.reporting.analysis import write_analysis  # matplotlib, when drawing

        folder = analysis_dir(run, test_data)
        staging = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        write_analysis(staging, evaluation, metrics.get("threshold"))
        rundir.publish_run(staging, folder)
    return metrics
