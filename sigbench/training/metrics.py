"""Scores computed from predicted probabilities, the same way for every model."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support, top_k_accuracy_score

from sigbench.training.statistics import bootstrap_intervals


def binary_error_rates(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """FAR = P(predict 1 | label 0), FRR = P(predict 0 | label 1), HTER = their mean.

    Computed from per-class rates (not a batch average), as the HTER report defines them.
    """
    negatives, positives = labels == 0, labels == 1
    far = float((predicted[negatives] == 1).mean()) if negatives.any() else float("nan")
    frr = float((predicted[positives] == 0).mean()) if positives.any() else float("nan")
    return {"far": far, "frr": frr, "hter": (far + frr) / 2}


def calibration_bins(
    labels: np.ndarray, proba: np.ndarray, bins: int = 15
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width confidence bin: image count, accuracy and mean confidence (NaN if empty).

    The ECE and the reliability diagram both read these, so the two always agree.
    """
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.bincount(which, weights=correct, minlength=bins) / counts
        mean_confidence = np.bincount(which, weights=confidence, minlength=bins) / counts
    return counts, accuracy, mean_confidence


def expected_calibration_error(labels: np.ndarray, proba: np.ndarray, bins: int = 15) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    counts, accuracy, confidence = calibration_bins(labels, proba, bins)
    filled = counts > 0
    gaps = np.abs(accuracy[filled] - confidence[filled])
    return float(np.sum(counts[filled] * gaps) / max(counts.sum(), 1))


def classification_metrics(
    labels: np.ndarray, proba: np.ndarray, classes: list[str], top_k: int = 5
) -> dict[str, object]:
    """Accuracy, macro F1, per-class precision/recall, ECE, top-k and, for two classes, HTER,
    with 95% bootstrap intervals of accuracy, macro F1 and HTER over the test images."""
    labels = np.asarray(labels)
    predicted = proba.argmax(axis=1)
    every_class = np.arange(len(classes))
    precision, recall, _, support = precision_recall_fscore_support(
        labels, predicted, labels=every_class, zero_division=0
    )
    metrics: dict[str, object] = {
        "accuracy": float((predicted == labels).mean()),
        "f1_macro": float(
            f1_score(labels, predicted, labels=every_class, average="macro", zero_division=0)
        ),
        "ece": expected_calibration_error(labels, proba),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "support": int(s)}
            for name, p, r, s in zip(classes, precision, recall, support, strict=True)
        },
    }
    if len(classes) > top_k:
        metrics[f"top{top_k}_accuracy"] = float(
            top_k_accuracy_score(labels, proba, k=top_k, labels=every_class)
        )
    if len(classes) == 2:
        metrics.update(binary_error_rates(labels, predicted))
    metrics.update(bootstrap_intervals(labels, predicted, len(classes)))
    return metrics
