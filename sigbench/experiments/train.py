"""``sigbench train`` and every grid point: one experiment end to end, as named steps.

Load the data, prepare the model inputs, build the model, fit it, score it on the test
split, measure its costs, and publish the run folder (:mod:`sigbench.runs`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sigbench.config import ExperimentConfig, dump_config
from sigbench.data import DatasetSplits, class_weights, load_splits, positive_weights
from sigbench.experiments.evaluate import evaluate_model, score, skip_analysis
from sigbench.experiments.inputs import (
    PreparedInputs,
    data_settings,
    feature_statistics,
    inference_pipeline,
    prepare_inputs,
)
from sigbench.models import apply_finetune, create_model, model_entry
from sigbench.models.weights import loaded_weights
from sigbench.progress import SILENT, Progress
from sigbench.runs import rundir
from sigbench.runs.checkpoint import make_checkpoint
from sigbench.runs.provenance import run_provenance
from sigbench.training.costs import (
    count_parameters,
    flops_per_sample,
    inference_speed,
    serialized_kb,
)
from sigbench.training.device import resolve_device, seed_everything
from sigbench.training.loop import EpochCallback, FitResult, fit
from sigbench.training.metrics import Evaluation
from sigbench.training.multilabel import ATTRIBUTE_THRESHOLD


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def train_run(
    config: ExperimentConfig,
    results: Path,
    *,
    progress: Progress = SILENT,
    analysis: bool = False,
    on_epoch: EpochCallback | None = None,
) -> RunResult:
    """Train and score one experiment, and publish its run folder under ``results/runs``.

    ``analysis`` also draws the error-analysis pictures into the run's ``analysis/`` folder.
    ``on_epoch`` sees each epoch's history row; an exception it raises (a pruned trial)
    stops the run before anything is published.
    """
    device = resolve_device(config.train.device)  # a missing GPU fails before any work
    _seed_and_threads(config)
    cache_dir = rundir.cache_dir(results)
    splits = load_splits(data_settings(config), config.seed, progress=progress, cache_dir=cache_dir)
    prepared = prepare_inputs(
        config, _split_map(splits), cache_dir=cache_dir, progress=progress, device=str(device)
    )
    model, finetune = _build(config, prepared, splits)
    weights = _class_weight_vector(config, splits)
    fitted = _fit(config, model, prepared, splits, weights, progress, on_epoch, device)
    evaluation = evaluate_model(model, prepared, splits, splits.classes, device)
    model.cpu()
    metrics = score(evaluation, config.train.top_k)
    metrics.update(_cost_figures(config, model, prepared, splits, fitted))
    metrics.update(_run_facts(splits, fitted))
    if finetune is not None:
        metrics["finetune"] = finetune
    if weights is not None:
        key = "pos_weight" if config.data.multilabel else "class_weights"
        metrics[key] = dict(zip(splits.classes, map(float, weights), strict=True))
    run_dir = _write_run(
        config, results, model, prepared, splits, fitted, metrics, evaluation, analysis, device
    )
    return RunResult(run_dir, metrics, fitted.history, splits.report.notes)


# --- the steps -------------------------------------------------------------------------------


def _seed_and_threads(config: ExperimentConfig) -> None:
    if config.train.num_threads:
        torch.set_num_threads(config.train.num_threads)
    seed_everything(config.seed, deterministic=config.train.deterministic)


def _split_map(splits: DatasetSplits) -> dict[str, Any]:
    return {"train": splits.train, "val": splits.val, "test": splits.test}


def _build(
    config: ExperimentConfig, prepared: PreparedInputs, splits: DatasetSplits
) -> tuple[torch.nn.Module, str | None]:
    """The model for the inputs' shape, with its fine-tune mode applied and, for signature
    models, its standardizer set from the training features."""
    model = create_model(
        config.model.kind,
        input_shape=prepared.input_shape,
        num_classes=len(splits.classes),
        config=config.model,
    )
    finetune = apply_finetune(model, config.train.finetune)
    if model_entry(config.model.kind).input == "signature":
        _fit_standardizer(model, prepared.splits["train"].features)
    return model, finetune


def _fit_standardizer(model: torch.nn.Module, train_features: np.ndarray) -> None:
    standardizer = getattr(model, "standardizer", None)
    if hasattr(standardizer, "set_statistics"):
        mean, std = feature_statistics(train_features)
        standardizer.set_statistics(torch.from_numpy(mean).float(), torch.from_numpy(std).float())


def _class_weight_vector(config: ExperimentConfig, splits: DatasetSplits) -> np.ndarray | None:
    """``data.balance: class_weights``: per-class weights, or on a multi-label task a
    positive weight per attribute."""
    if config.data.balance != "class_weights":
        return None
    if config.data.multilabel:
        return positive_weights(splits.train.labels)
    return class_weights(splits.train.labels, len(splits.classes))


def _fit(
    config: ExperimentConfig,
    model: torch.nn.Module,
    prepared: PreparedInputs,
    splits: DatasetSplits,
    weights: np.ndarray | None,
    progress: Progress,
    on_epoch: EpochCallback | None,
    device: torch.device,
) -> FitResult:
    return fit(
        model,
        prepared.splits["train"],
        splits.train.labels,
        prepared.splits["val"],
        splits.val.labels,
        config.train,
        seed=config.seed,
        class_weights=weights,
        progress=progress,
        on_epoch=on_epoch,
        device=device,
    )


def _cost_figures(
    config: ExperimentConfig,
    model: torch.nn.Module,
    prepared: PreparedInputs,
    splits: DatasetSplits,
    fitted: FitResult,
) -> dict[str, Any]:
    """Size, compute and time: what the model costs to train, store and run."""
    example = prepared.splits["test"].take(np.arange(1), train=False)
    return {
        "params": count_parameters(model),
        "trainable_params": count_parameters(model, trainable_only=True),
        "weights_kb": round(serialized_kb(model.state_dict()), 1),
        "flops_per_image": flops_per_sample(model, example),
        **inference_speed(inference_pipeline(config, model), splits.test.images),
        "train_seconds": round(fitted.seconds, 3),
        "decode_seconds": round(splits.report.decode_seconds, 3),
        "pixel_cache": _cache_summary(splits.report.pixel_cache),
        "featurize_seconds": round(prepared.featurize_seconds, 3),
        "feature_cache": _cache_summary(prepared.feature_cache),
    }


def _cache_summary(statuses: dict[str, str]) -> str:
    """One word for the whole run: ``hit`` only if every split came from the cache."""
    values = set(statuses.values())
    return values.pop() if len(values) == 1 else "partial"


def _run_facts(splits: DatasetSplits, fitted: FitResult) -> dict[str, Any]:
    """How training went and what it was trained on."""
    return {
        "epochs_run": len(fitted.history),
        "best_epoch": fitted.best_epoch,
        "n_train": len(splits.train.labels),
        "n_val": len(splits.val.labels),
        "n_test": len(splits.test.labels),
        "classes": splits.classes,
        "class_counts": splits.report.class_counts,
    }


def _history_csv(history: list[dict[str, float]]) -> str:
    if not history:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(history[-1]))
    writer.writeheader()
    writer.writerows(history)
    return buffer.getvalue()


def _write_run(
    config: ExperimentConfig,
    results: Path,
    model: torch.nn.Module,
    prepared: PreparedInputs,
    splits: DatasetSplits,
    fitted: FitResult,
    metrics: dict[str, Any],
    evaluation: Evaluation,
    analysis: bool,
    device: torch.device,
) -> Path:
    """Assemble the run in a partial folder and publish it; with ``analysis``, draw the
    error-analysis pictures too."""
    checkpoint = make_checkpoint(
        config,
        model,
        input_shape=prepared.input_shape,
        classes=splits.classes,
        channels=int(splits.train.images.shape[-1]),
        optimizer_state=fitted.optimizer_state,
    )
    partial = rundir.partial_dir(results, config.run_id())
    rundir.save_torch_atomic(partial / rundir.CHECKPOINT_FILE, checkpoint)
    metrics["checkpoint_kb"] = round((partial / rundir.CHECKPOINT_FILE).stat().st_size / 1024, 1)
    rundir.write_text_atomic(partial / rundir.CONFIG_FILE, dump_config(config))
    rundir.write_text_atomic(partial / rundir.HISTORY_FILE, _history_csv(fitted.history))
    uses_signature = model_entry(config.model.kind).input == "signature"
    facts = run_provenance(
        config, device, uses_signature=uses_signature, weights=loaded_weights(model)
    )
    rundir.write_json_atomic(partial / rundir.PROVENANCE_FILE, facts)
    if evaluation.multilabel:
        predicted = (evaluation.proba > ATTRIBUTE_THRESHOLD).astype(np.int16)
    else:
        predicted = evaluation.proba.argmax(axis=1).astype(np.int16)
    rundir.write_predictions(partial / rundir.PREDICTIONS_FILE, evaluation.labels, predicted)
    if analysis and not skip_analysis(evaluation):
        from sigbench.reporting.analysis import write_analysis  # matplotlib, when drawing

        write_analysis(partial / rundir.ANALYSIS_DIR, evaluation, metrics.get("threshold"))
    # metrics.json last: its presence marks the run as whole.
    rundir.write_json_atomic(partial / rundir.METRICS_FILE, metrics)
    return rundir.publish_run(partial, rundir.runs_dir(results) / config.run_id())
