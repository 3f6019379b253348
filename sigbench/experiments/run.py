"""One experiment end to end: data, inputs, model, training, scores, a run folder.

``train_run`` is what ``sigbench train`` and every grid point call; ``evaluate_run`` and
``predict_files`` reload a finished run folder and use its saved config and weights.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from sigbench.config import ExperimentConfig, dump_config, validate_config
from sigbench.data import DatasetSplits, ImageSet, class_weights, load_splits, read_images
from sigbench.errors import SigbenchError
from sigbench.experiments import rundir
from sigbench.experiments.analysis import (
    ANALYSIS_DIR,
    Evaluation,
    threshold_metrics,
    write_analysis,
)
from sigbench.experiments.inputs import (
    PreparedInputs,
    data_settings,
    feature_statistics,
    inference_pipeline,
    prepare_inputs,
)
from sigbench.models import apply_finetune, create_model, model_entry
from sigbench.progress import SILENT, Progress
from sigbench.training.costs import (
    count_parameters,
    flops_per_sample,
    inference_speed,
    serialized_kb,
)
from sigbench.training.inputs import ModelInputs
from sigbench.training.loop import fit, predict_proba
from sigbench.training.metrics import classification_metrics

CHECKPOINT_FORMAT = "sigbench-checkpoint/1"


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)


def _split_map(splits: DatasetSplits) -> dict[str, Any]:
    return {"train": splits.train, "val": splits.val, "test": splits.test}


def _fit_standardizer(model: torch.nn.Module, train_features: np.ndarray) -> None:
    standardizer = getattr(model, "standardizer", None)
    if hasattr(standardizer, "set_statistics"):
        mean, std = feature_statistics(train_features)
        standardizer.set_statistics(torch.from_numpy(mean).float(), torch.from_numpy(std).float())


def _history_csv(history: list[dict[str, float]]) -> str:
    if not history:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(history[-1]))
    writer.writeheader()
    writer.writerows(history)
    return buffer.getvalue()


def _class_weight_vector(config: ExperimentConfig, splits: DatasetSplits) -> np.ndarray | None:
    if config.data.balance != "class_weights":
        return None
    return class_weights(splits.train.labels, len(splits.classes))


def _evaluate(
    model: torch.nn.Module,
    prepared: PreparedInputs,
    splits: DatasetSplits,
    classes: list[str],
    device: str = "cpu",
) -> Evaluation:
    """Test probabilities beside the test images, plus the validation ones a binary task's
    threshold is chosen on (the test split never chooses it)."""
    evaluation = Evaluation(
        classes, splits.test, predict_proba(model, prepared.splits["test"], device=device)
    )
    val = prepared.splits.get("val")
    if len(classes) == 2 and val is not None and len(val):
        evaluation.val_labels = splits.val.labels
        evaluation.val_proba = predict_proba(model, val, device=device)
    return evaluation


def _score(evaluation: Evaluation, top_k: int) -> dict[str, Any]:
    metrics = classification_metrics(
        evaluation.labels, evaluation.proba, evaluation.classes, top_k=top_k
    )
    metrics.update(threshold_metrics(evaluation))
    return metrics


def train_run(
    config: ExperimentConfig,
    results: Path,
    *,
    progress: Progress = SILENT,
    analysis: bool = False,
) -> RunResult:
    """Train and score one experiment, and publish its run folder under ``results/runs``.

    ``analysis`` also draws the error-analysis pictures into the run's ``analysis/`` folder.
    """
    if config.train.num_threads:
        torch.set_num_threads(config.train.num_threads)
    _seed_everything(config.seed)
    splits = load_splits(data_settings(config), config.seed, progress=progress)
    prepared = prepare_inputs(
        config, _split_map(splits), cache_dir=rundir.cache_dir(results), progress=progress
    )
    model = create_model(
        config.model.kind,
        input_shape=prepared.input_shape,
        num_classes=len(splits.classes),
        config=config.model,
    )
    finetune = apply_finetune(model, config.train.finetune)
    train_inputs = prepared.splits["train"]
    if model_entry(config.model.kind).input == "signature":
        _fit_standardizer(model, train_inputs.features)
    weights = _class_weight_vector(config, splits)
    result = fit(
        model,
        train_inputs,
        splits.train.labels,
        prepared.splits["val"],
        splits.val.labels,
        config.train,
        seed=config.seed,
        class_weights=weights,
        progress=progress,
    )
    evaluation = _evaluate(model, prepared, splits, splits.classes, config.train.device)
    model.cpu()
    metrics = _score(evaluation, config.train.top_k)

    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "kind": config.model.kind,
        "input_shape": list(prepared.input_shape),
        "classes": splits.classes,
        "channels": int(splits.train.images.shape[-1]),
        "config": config.model_dump(mode="json"),
        "state_dict": model.state_dict(),
        "optimizer_state": result.optimizer_state,
    }
    example = prepared.splits["test"].take(np.arange(1), train=False)
    metrics.update(
        {
            "params": count_parameters(model),
            "trainable_params": count_parameters(model, trainable_only=True),
            "weights_kb": round(serialized_kb(model.state_dict()), 1),
            "flops_per_image": flops_per_sample(model, example),
            **inference_speed(inference_pipeline(config, model), splits.test.images),
            "train_seconds": round(result.seconds, 3),
            "featurize_seconds": round(prepared.featurize_seconds, 3),
            "feature_cache": _cache_summary(prepared.feature_cache),
            "epochs_run": len(result.history),
            "best_epoch": result.best_epoch,
            "n_train": len(splits.train.labels),
            "n_val": len(splits.val.labels),
            "n_test": len(splits.test.labels),
            "classes": splits.classes,
            "class_counts": splits.report.class_counts,
        }
    )
    if finetune is not None:
        metrics["finetune"] = finetune
    if weights is not None:
        metrics["class_weights"] = dict(zip(splits.classes, map(float, weights), strict=True))

    final = rundir.runs_dir(results) / config.run_id()
    partial = rundir.partial_dir(results, config.run_id())
    rundir.save_torch_atomic(partial / rundir.CHECKPOINT_FILE, checkpoint)
    metrics["checkpoint_kb"] = round((partial / rundir.CHECKPOINT_FILE).stat().st_size / 1024, 1)
    rundir.write_text_atomic(partial / rundir.CONFIG_FILE, dump_config(config))
    rundir.write_text_atomic(partial / rundir.HISTORY_FILE, _history_csv(result.history))
    if analysis:
        write_analysis(partial / ANALYSIS_DIR, evaluation, metrics.get("threshold"))
    # metrics.json last: its presence marks the run as whole.
    rundir.write_json_atomic(partial / rundir.METRICS_FILE, metrics)
    run_dir = rundir.publish_run(partial, final)
    return RunResult(run_dir, metrics, result.history, splits.report.notes)


def _cache_summary(statuses: dict[str, str]) -> str:
    """One word for the whole run: ``hit`` only if every split came from the cache."""
    values = set(statuses.values())
    return values.pop() if len(values) == 1 else "partial"


@dataclass
class LoadedRun:
    config: ExperimentConfig
    model: torch.nn.Module
    classes: list[str]
    channels: int


def load_run(run: Path) -> LoadedRun:
    """The saved config and a model holding the saved weights, checked for consistency."""
    run = rundir.require_run(Path(run))
    config_path = run / rundir.CONFIG_FILE
    config = validate_config(yaml.safe_load(config_path.read_text()) or {}, str(config_path))
    try:
        checkpoint = torch.load(
            run / rundir.CHECKPOINT_FILE, map_location="cpu", weights_only=False
        )
    except Exception as exc:  # any unreadable file is the user's to fix, not a crash
        raise SigbenchError(
            f"{run / rundir.CHECKPOINT_FILE}: not a readable checkpoint ({exc})"
        ) from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise SigbenchError(
            f"{run / rundir.CHECKPOINT_FILE}: not a sigbench checkpoint "
            f"(expected format {CHECKPOINT_FORMAT!r})"
        )
    model = create_model(
        checkpoint["kind"],
        input_shape=tuple(checkpoint["input_shape"]),
        num_classes=len(checkpoint["classes"]),
        # The checkpoint holds every weight: no ImageNet file is needed to reload a run.
        config=config.model.model_copy(update={"weights": "none"}),
    )
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    return LoadedRun(config, model, list(checkpoint["classes"]), int(checkpoint["channels"]))


def run_splits(
    loaded: LoadedRun, test_data: Path | None = None, progress: Progress = SILENT
) -> DatasetSplits:
    """The splits a run was trained on (same seed), or its test split taken from ``test_data``."""
    config = loaded.config
    if test_data is not None:
        config.data.test = Path(test_data)
    splits = load_splits(data_settings(config), config.seed, progress=progress)
    if splits.classes != loaded.classes:
        raise SigbenchError(
            f"{test_data or config.data.test}: classes {splits.classes} differ from the "
            f"model's {loaded.classes}"
        )
    return splits


def run_inputs(loaded: LoadedRun, images: np.ndarray) -> ModelInputs:
    """uint8 images (N, H, W, C) as the run's model eats them: features or pixels."""
    image_set = ImageSet(images, np.zeros(len(images), dtype=np.int64), [""] * len(images))
    return prepare_inputs(loaded.config, {"x": image_set}, cache_dir=None).splits["x"]


def analysis_dir(run: Path, test_data: Path | None = None) -> Path:
    """Where ``evaluate_run`` draws: ``analysis/``, or ``analysis-<folder>`` for other data."""
    return Path(run) / (ANALYSIS_DIR if test_data is None else f"{ANALYSIS_DIR}-{test_data.name}")


def evaluate_run(
    run: Path,
    *,
    test_data: Path | None = None,
    progress: Progress = SILENT,
    analysis: bool = False,
) -> dict[str, Any]:
    """Score a finished run on its test split again, or on the folder ``test_data``.

    Loads the splits as ``train_run`` did (same seed), so the validation split, and with it
    a binary threshold, is the same. ``analysis`` redraws the pictures in :func:`analysis_dir`.
    """
    loaded = load_run(run)
    config = loaded.config
    splits = run_splits(loaded, test_data, progress)
    needed = {"test": splits.test}
    if len(loaded.classes) == 2:
        needed["val"] = splits.val
    prepared = prepare_inputs(config, needed, cache_dir=None, progress=progress)
    evaluation = _evaluate(loaded.model, prepared, splits, loaded.classes)
    metrics = _score(evaluation, config.train.top_k)
    metrics["n_test"] = len(splits.test.labels)
    if analysis:
        folder = analysis_dir(run, test_data)
        staging = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        write_analysis(staging, evaluation, metrics.get("threshold"))
        rundir.publish_run(staging, folder)
    return metrics


@dataclass
class Prediction:
    path: Path
    label: str
    probability: float


def predict_files(run: Path, paths: list[Path]) -> list[Prediction]:
    """The most likely class and its probability for each image file."""
    loaded = load_run(run)
    config = loaded.config
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise SigbenchError(f"{missing[0]}: no such image file")
    images = read_images([Path(p) for p in paths], config.data.image_size, loaded.channels)
    proba = predict_proba(loaded.model, run_inputs(loaded, images))
    best = proba.argmax(axis=1)
    return [
        Prediction(Path(path), loaded.classes[k], float(proba[i, k]))
        for i, (path, k) in enumerate(zip(paths, best, strict=True))
    ]
