"""Scores computed from predicted probabilities, the same way for every model.

Binary tasks follow the HTER report's convention: class 1 is the "accepted" class, the
score is its probability, an image is accepted when its score is above the threshold, and
FAR = P(accept | class 0), FRR = P(reject | class 1). At threshold 0.5 this is the argmax.
The threshold is chosen on the validation split only; the test split never chooses it.
Robustness scores compare a model's outputs on transformed images with those on the clean ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sigbench.data import ImageSet
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
    """Accuracy, macro F1, per-class precision/recall, ECE, top-k and, for two classes, HTER
    and ROC AUC, with 95% bootstrap intervals of accuracy, macro F1 and HTER over the test
    images."""
    # scikit-learn (with scipy) takes seconds to import: only scoring loads it.
    from sklearn.metrics import (
        f1_score,
        precision_recall_fscore_support,
        roc_auc_score,
        top_k_accuracy_score,
    )

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
        if has_both_classes(labels):
            metrics["roc_auc"] = float(roc_auc_score(labels, proba[:, 1]))
    metrics.update(bootstrap_intervals(labels, predicted, len(classes)))
    return metrics


@dataclass
class Evaluation:
    """A model's class probabilities on the test split, beside the images they score (on a
    multi-label task, each attribute's probability).

    ``val_labels`` / ``val_proba`` are the validation split's, which alone may choose a
    binary threshold; ``None`` when the run has no validation split.
    """

    classes: list[str]
    test: ImageSet
    proba: np.ndarray
    val_labels: np.ndarray | None = None
    val_proba: np.ndarray | None = None

    @property
    def labels(self) -> np.ndarray:
        return self.test.labels

    @property
    def multilabel(self) -> bool:
        """0/1 (N, K) labels, one column per attribute in ``classes``."""
        return self.test.labels.ndim == 2

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2 and not self.multilabel


@dataclass
class ErrorCurve:
    """FAR and FRR at every threshold that separates two distinct scores, ascending."""

    thresholds: np.ndarray
    far: np.ndarray
    frr: np.ndarray

    @property
    def hter(self) -> np.ndarray:
        return (self.far + self.frr) / 2


def error_curve(labels: np.ndarray, scores: np.ndarray) -> ErrorCurve:
    """FAR/FRR at 0, 1 and each midpoint between consecutive distinct scores.

    Midpoints, not the scores themselves, so a threshold chosen on one split leaves a margin
    on both sides when applied to another. Both classes must be present. Not scikit-learn's
    ``roc_curve`` / ``det_curve``: they put each threshold on a score and accept scores at
    or above it, while here a score must be above the threshold, as :func:`rates_at` applies
    it; the two agree at every midpoint (tests/training/test_thresholds.py checks) but not
    where a float32 midpoint rounds onto a score, and ``1 - tpr`` is not always ``fn / n``
    to the last bit.
    """
    distinct = np.unique(scores)
    thresholds = np.concatenate([[0.0], (distinct[:-1] + distinct[1:]) / 2, [1.0]])
    negatives = np.sort(scores[labels == 0])
    positives = np.sort(scores[labels == 1])
    accepted_negatives = len(negatives) - np.searchsorted(negatives, thresholds, side="right")
    rejected_positives = np.searchsorted(positives, thresholds, side="right")
    return ErrorCurve(
        thresholds, accepted_negatives / len(negatives), rejected_positives / len(positives)
    )


def choose_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The threshold with the lowest HTER on these (validation) scores; of equals, the one
    nearest 0.5, so the default stands unless moving it helps."""
    curve = error_curve(labels, scores)
    best = np.flatnonzero(np.isclose(curve.hter, curve.hter.min(), rtol=0, atol=1e-12))
    return float(curve.thresholds[best[np.argmin(np.abs(curve.thresholds[best] - 0.5))]])


def equal_error_rate(curve: ErrorCurve) -> float:
    """The error rate where FAR = FRR, interpolated linearly between the two nearest points."""
    difference = curve.far - curve.frr  # falls from >= 0 to <= 0 as the threshold rises
    i = int(np.argmax(difference <= 0))
    if i == 0:
        return float((curve.far[0] + curve.frr[0]) / 2)
    share = difference[i - 1] / (difference[i - 1] - difference[i])
    return float(curve.far[i - 1] + share * (curve.far[i] - curve.far[i - 1]))


def rates_at(labels: np.ndarray, scores: np.ndarray, threshold: float) -> tuple[float, float]:
    """(FAR, FRR) when scores above ``threshold`` are accepted."""
    accepted = scores > threshold
    return float(accepted[labels == 0].mean()), float((~accepted[labels == 1]).mean())


def has_both_classes(labels: np.ndarray | None) -> bool:
    return labels is not None and bool((labels == 0).any() and (labels == 1).any())


def threshold_metrics(evaluation: Evaluation) -> dict[str, float]:
    """Binary test scores at the validation-chosen threshold, and the test EER.

    Empty when the task is not binary or either split lacks a class (no threshold to choose).
    """
    labels, val_labels = evaluation.labels, evaluation.val_labels
    if not evaluation.binary or evaluation.val_proba is None:
        return {}
    if not (has_both_classes(labels) and has_both_classes(val_labels)):
        return {}
    threshold = choose_threshold(val_labels, evaluation.val_proba[:, 1])
    far, frr = rates_at(labels, evaluation.proba[:, 1], threshold)
    return {
        "threshold": threshold,
        "hter_val_threshold": (far + frr) / 2,
        "far_val_threshold": far,
        "frr_val_threshold": frr,
        "eer": equal_error_rate(error_curve(labels, evaluation.proba[:, 1])),
    }


# --- robustness ------------------------------------------------------------------------------


def relative_change(changed: np.ndarray, clean: np.ndarray) -> float:
    """Mean over images of ||changed - clean|| / ||clean||, each image's features flattened."""
    difference = (changed - clean).reshape(len(clean), -1)
    norms = np.linalg.norm(clean.reshape(len(clean), -1), axis=1)
    return float(np.mean(np.linalg.norm(difference, axis=1) / np.maximum(norms, 1e-12)))


def prediction_change(
    labels: np.ndarray, clean_proba: np.ndarray, proba: np.ndarray
) -> dict[str, float]:
    """Accuracy on changed images, its change from the clean ones, and the share of
    predictions that change."""
    before, after = clean_proba.argmax(axis=1), proba.argmax(axis=1)
    accuracy = float((after == labels).mean())
    return {
        "accuracy": accuracy,
        "accuracy_change": accuracy - float((before == labels).mean()),
        "changed": float((after != before).mean()),
    }
