"""Scores of multi-label tasks, where each image has a 0/1 value per attribute.

An attribute is predicted present when its probability (a sigmoid of its own logit) is
above :data:`ATTRIBUTE_THRESHOLD`. Per attribute: accuracy, F1 and, with "present" as the
accepted class, FAR = P(present | absent), FRR = P(absent | present) and HTER; then their
means over attributes and the exact-match ratio (every attribute of an image right).
scikit-learn's ``multilabel_confusion_matrix`` and ``f1_score`` do the counting.

A multi-label run's ``metrics.json`` has no ``accuracy``: its headline is
``mean_accuracy``. :func:`headline_score` is how tables, claims and summaries read a
score by its single-label name from either kind of run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sigbench.training.statistics import BOOTSTRAP_RESAMPLES, CONFIDENCE, percentile_interval

ATTRIBUTE_THRESHOLD = 0.5
MULTILABEL_TASK = "multilabel"
NO_ATTRIBUTE = "(none)"  # predict's label for an image with no attribute above threshold
# A single-label score's name -> the multi-label score read in its place.
HEADLINE_EQUIVALENTS = {
    "accuracy": "mean_accuracy",
    "f1_macro": "mean_f1",
    "far": "mean_far",
    "frr": "mean_frr",
    "hter": "mean_hter",
}


def is_multilabel(metrics: dict[str, Any]) -> bool:
    return metrics.get("task") == MULTILABEL_TASK


def headline_score(metrics: dict[str, Any], key: str) -> Any:
    """``metrics[key]``, or on a multi-label run its equivalent (``accuracy`` ->
    ``mean_accuracy``, and ``_ci95`` intervals likewise); None where there is none."""
    if is_multilabel(metrics):
        stem, ci = (key[: -len("_ci95")], "_ci95") if key.endswith("_ci95") else (key, "")
        key = HEADLINE_EQUIVALENTS.get(stem, stem) + ci
    return metrics.get(key)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), math.nan)


def _mean(values: np.ndarray) -> float:
    """The mean over attributes where the score is defined; NaN if it is nowhere."""
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if len(defined) else math.nan


def attribute_bootstrap(
    labels: np.ndarray, predicted: np.ndarray, *, seed: int = 0
) -> dict[str, list[float]]:
    """Percentile bootstrap intervals of mean accuracy and exact match over test images.

    Both depend on the images only through how many attributes each got right (0..K), so
    resampling images is a multinomial draw over those K + 1 counts (as for the
    single-label intervals in :mod:`sigbench.training.statistics`).
    """
    n, k = labels.shape
    right = (labels == predicted).sum(axis=1)
    counts = np.bincount(right, minlength=k + 1)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, counts / n, size=BOOTSTRAP_RESAMPLES)
    mean_accuracy = draws @ (np.arange(k + 1) / k) / n
    exact_match = draws[:, k] / n
    return {
        "mean_accuracy_ci95": percentile_interval(mean_accuracy, CONFIDENCE),
        "exact_match_ci95": percentile_interval(exact_match.astype(np.float64), CONFIDENCE),
    }


def attribute_answer(proba: np.ndarray, attributes: list[str]) -> tuple[str, float]:
    """One image's answer: the attributes above :data:`ATTRIBUTE_THRESHOLD` joined by ``;``
    (:data:`NO_ATTRIBUTE` if none), and the probability of that whole answer with each
    attribute's sigmoid on its own: the product of p for those present, 1 - p for the rest."""
    present = np.asarray(proba) > ATTRIBUTE_THRESHOLD
    label = ";".join(a for a, on in zip(attributes, present, strict=True) if on)
    return label or NO_ATTRIBUTE, float(np.where(present, proba, 1.0 - proba).prod())


def multilabel_metrics(
    labels: np.ndarray, proba: np.ndarray, attributes: list[str]
) -> dict[str, object]:
    """Every multi-label test score of 0/1 (N, K) ``labels`` and (N, K) probabilities."""
    from sklearn.metrics import f1_score, multilabel_confusion_matrix  # seconds to import

    labels = np.asarray(labels, dtype=np.int64)
    predicted = (np.asarray(proba) > ATTRIBUTE_THRESHOLD).astype(np.int64)
    every = np.arange(len(attributes))
    matrices = multilabel_confusion_matrix(labels, predicted, labels=every)  # (K, 2, 2)
    tn, fp, fn, tp = matrices.reshape(-1, 4).T
    accuracy = (tn + tp) / max(len(labels), 1)
    far, frr = _ratio(fp, fp + tn), _ratio(fn, fn + tp)
    hter = (far + frr) / 2
    f1 = f1_score(labels, predicted, labels=every, average=None, zero_division=0)
    per_attribute = {
        name: {
            "accuracy": float(accuracy[i]),
            "f1": float(f1[i]),
            "far": float(far[i]),
            "frr": float(frr[i]),
            "hter": float(hter[i]),
            "positives": int(tp[i] + fn[i]),
        }
        for i, name in enumerate(attributes)
    }
    metrics: dict[str, object] = {
        "task": MULTILABEL_TASK,
        "attribute_threshold": ATTRIBUTE_THRESHOLD,
        "mean_accuracy": float(accuracy.mean()),
        "mean_f1": float(f1.mean()),
        "mean_far": _mean(far),
        "mean_frr": _mean(frr),
        "mean_hter": _mean(hter),
        "exact_match": float((labels == predicted).all(axis=1).mean()),
        "per_attribute": per_attribute,
    }
    if len(labels):
        metrics.update(attribute_bootstrap(labels, predicted))
    return metrics
