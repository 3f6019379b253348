"""A stand-in for ``train_run``: writes a whole run folder at once, with made-up metrics.

A module (not a test file) so spawned pool workers can import it by name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sigbench.config import ExperimentConfig, dump_config, get_setting
from sigbench.progress import Progress
from sigbench.runs import rundir


def _neurons(config: ExperimentConfig) -> int:
    return get_setting(config, "model.neurons", 50)  # kinds without a Dense(n) head: 50


def fake_accuracy(config: ExperimentConfig) -> float:
    """Depth and neurons help; each seed adds 0.1 points, so seeds spread a little."""
    return 0.5 + 0.05 * config.signature.depth + _neurons(config) / 10_000 + config.seed / 1000


FAKE_HALF_WIDTH = 0.01  # of every fake run's bootstrap interval of accuracy
FAKE_TEST_IMAGES = 2000


def fake_predictions(accuracy: float) -> tuple[np.ndarray, np.ndarray]:
    """Two-class test labels and predictions right on the first ``accuracy`` share."""
    labels = np.arange(FAKE_TEST_IMAGES) % 2
    correct = np.arange(FAKE_TEST_IMAGES) < round(accuracy * FAKE_TEST_IMAGES)
    return labels, np.where(correct, labels, 1 - labels)


def fake_params(config: ExperimentConfig, classes: int = 2) -> int:
    features = config.data.image_size * sum(3**k for k in range(1, config.signature.depth + 1))
    return features * _neurons(config) + _neurons(config) * (classes + 1) + classes


def fake_train(config: ExperimentConfig, results: Path, progress: Progress) -> Path:
    with progress.task("training", total=2) as task:
        task.advance(2)
    partial = rundir.partial_dir(results, config.run_id())
    (partial / rundir.CHECKPOINT_FILE).write_bytes(b"weights")
    rundir.write_text_atomic(partial / rundir.CONFIG_FILE, dump_config(config))
    accuracy = fake_accuracy(config)
    rundir.write_predictions(partial / rundir.PREDICTIONS_FILE, *fake_predictions(accuracy))
    metrics = {
        "accuracy": accuracy,
        "accuracy_ci95": [accuracy - FAKE_HALF_WIDTH, accuracy + FAKE_HALF_WIDTH],
        "f1_macro": fake_accuracy(config) - 0.01,
        "params": fake_params(config),
        "weights_kb": 1.5,
        "checkpoint_kb": 4.5,
        "train_seconds": 30.0 * config.signature.depth,
    }
    if len(config.data.classes or []) == 2:
        metrics["hter"] = round(1 - fake_accuracy(config), 4)
    rundir.write_json_atomic(partial / rundir.METRICS_FILE, metrics)
    return rundir.publish_run(partial, rundir.runs_dir(results) / config.run_id())
