"""Scores from probabilities: accuracy, HTER from per-class rates, top-k, calibration."""

import numpy as np
import pytest

from sigbench.training.metrics import (
    binary_error_rates,
    classification_metrics,
    expected_calibration_error,
)


def one_hot_proba(predicted: list[int], classes: int, confidence: float = 0.9) -> np.ndarray:
    # The other classes get distinct small shares (lower class index, larger share) so that
    # top-k has no ties.
    rest = np.arange(classes, 0, -1, dtype=float)
    proba = np.tile(rest / rest.sum() * (1 - confidence), (len(predicted), 1))
    proba[np.arange(len(predicted)), predicted] = confidence
    proba /= proba.sum(axis=1, keepdims=True)
    return proba


def test_hter_uses_per_class_rates_not_the_batch_average() -> None:
    # 8 negatives with 2 false accepts, 2 positives with 1 false reject.
    labels = np.array([0] * 8 + [1] * 2)
    predicted = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    rates = binary_error_rates(labels, predicted)
    assert rates["far"] == pytest.approx(2 / 8)
    assert rates["frr"] == pytest.approx(1 / 2)
    assert rates["hter"] == pytest.approx((2 / 8 + 1 / 2) / 2)
    # The batch error rate (3/10) is a different number: the HTER report's pitfall.
    assert rates["hter"] != pytest.approx(3 / 10)


def test_binary_metrics_include_hter_and_multiclass_include_top5() -> None:
    labels = np.array([0, 1, 1, 0])
    binary = classification_metrics(labels, one_hot_proba([0, 1, 0, 0], 2), ["a", "b"])
    assert binary["accuracy"] == pytest.approx(0.75)
    assert binary["frr"] == pytest.approx(0.5) and binary["far"] == pytest.approx(0.0)
    assert "top5_accuracy" not in binary

    labels = np.arange(7)
    proba = one_hot_proba([1, 1, 2, 3, 4, 5, 6], 7)
    multi = classification_metrics(labels, proba, [str(c) for c in range(7)])
    assert multi["accuracy"] == pytest.approx(6 / 7)
    assert multi["top5_accuracy"] == pytest.approx(1.0)
    assert "hter" not in multi
    assert multi["per_class"]["0"]["recall"] == 0.0


def test_calibration_error_is_zero_when_confidence_matches_accuracy() -> None:
    labels = np.array([0, 0, 0, 1])  # 3 of 4 right at confidence 0.75
    proba = np.tile([0.75, 0.25], (4, 1))
    assert expected_calibration_error(labels, proba) == pytest.approx(0.0)
    overconfident = np.tile([0.99, 0.01], (4, 1))
    assert expected_calibration_error(labels, overconfident) == pytest.approx(0.24)


def test_every_score_set_carries_bootstrap_intervals_around_its_estimates() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    predicted = np.where(rng.random(400) < 0.8, labels, 1 - labels)
    metrics = classification_metrics(labels, one_hot_proba(predicted, 2), ["a", "b"])
    for key in ("accuracy", "f1_macro", "hter"):
        low, high = metrics[f"{key}_ci95"]
        assert low < metrics[key] < high
    assert metrics["ci95_resamples"] == 2000
    multi = classification_metrics(np.arange(7), one_hot_proba(np.arange(7), 7), list("abcdefg"))
    assert "accuracy_ci95" in multi and "hter_ci95" not in multi
