"""Binary thresholds and the EER: chosen on validation only, applied to test; and top-k."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from sigbench.config import validate_config
from sigbench.data import ImageSet
from sigbench.errors import SigbenchError
from sigbench.training.metrics import (
    Evaluation,
    choose_threshold,
    classification_metrics,
    equal_error_rate,
    error_curve,
    threshold_metrics,
)


def binary_proba(scores: list[float] | np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    return np.stack([1 - scores, scores], axis=1)


def tiny_images(n: int, channels: int) -> ImageSet:
    images = np.zeros((n, 2, 2, channels), dtype=np.uint8)
    return ImageSet(images, np.zeros(n, dtype=np.int64), [f"img/{i}.png" for i in range(n)])


def test_threshold_is_chosen_on_validation_and_applied_to_test() -> None:
    # Validation: negatives reach 0.6, positives start at 0.7, so only a cut above 0.6
    # separates them; 0.5 would falsely accept two negatives.
    val_labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    val_scores = [0.1, 0.3, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95]
    threshold = choose_threshold(val_labels, np.array(val_scores))
    assert threshold == pytest.approx(0.65)
    # Test: the model's 0.5 cut is perfect here, the validation cut is not; the test split
    # must not move the threshold.
    test_labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    test_scores = [0.1, 0.2, 0.3, 0.4, 0.55, 0.6, 0.8, 0.9]
    test = tiny_images(8, 1)
    test.labels = test_labels
    evaluation = Evaluation(
        ["a", "b"], test, binary_proba(test_scores), val_labels, binary_proba(val_scores)
    )
    metrics = threshold_metrics(evaluation)
    assert metrics["threshold"] == pytest.approx(0.65)
    assert metrics["far_val_threshold"] == 0.0
    assert metrics["frr_val_threshold"] == pytest.approx(0.5)  # 0.55 and 0.6 rejected
    assert metrics["hter_val_threshold"] == pytest.approx(0.25)
    assert metrics["eer"] == 0.0  # the test scores separate perfectly at some threshold
    plain = classification_metrics(test_labels, binary_proba(test_scores), ["a", "b"])
    assert plain["hter"] == 0.0  # at 0.5


def test_equal_hters_keep_the_threshold_nearest_the_default() -> None:
    labels = np.array([0, 0, 1, 1])
    assert choose_threshold(labels, np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx(0.5)


def test_equal_error_rate() -> None:
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    # One negative above one positive: at 0.5 FAR = FRR = 1/4.
    scores = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9])
    assert equal_error_rate(error_curve(labels, scores)) == pytest.approx(0.25)
    assert equal_error_rate(error_curve(labels, 1 - scores)) == pytest.approx(0.75)
    # FAR and FRR cross between two operating points: linear interpolation.
    labels = np.array([0, 0, 1])
    scores = np.array([0.2, 0.6, 0.4])  # (FAR, FRR): (1/2, 0) at 0.3, (1/2, 1) at 0.5
    assert equal_error_rate(error_curve(labels, scores)) == pytest.approx(0.5)


def test_no_threshold_without_validation_or_without_both_classes() -> None:
    test = tiny_images(4, 1)
    test.labels = np.array([0, 1, 0, 1])
    proba = binary_proba([0.2, 0.8, 0.3, 0.7])
    assert threshold_metrics(Evaluation(["a", "b"], test, proba)) == {}
    one_class = Evaluation(["a", "b"], test, proba, np.array([1, 1]), binary_proba([0.6, 0.9]))
    assert threshold_metrics(one_class) == {}


def test_top_k_is_configurable() -> None:
    labels = np.array([0, 1, 2, 3])
    # True class ranked 1st, 2nd, 3rd and 4th.
    proba = np.array(
        [
            [0.4, 0.3, 0.2, 0.1],
            [0.4, 0.3, 0.2, 0.1],
            [0.4, 0.3, 0.2, 0.1],
            [0.4, 0.3, 0.2, 0.1],
        ]
    )
    metrics = classification_metrics(labels, proba, list("abcd"), top_k=3)
    assert metrics["top3_accuracy"] == pytest.approx(0.75) and "top5_accuracy" not in metrics
    assert "top4_accuracy" not in classification_metrics(labels, proba, list("abcd"), top_k=4)
    assert validate_config({}, "x", ["train.top_k=3"]).train.top_k == 3
    with pytest.raises(SigbenchError, match="train.top_k"):
        validate_config({}, "x", ["train.top_k=0"])


def test_error_curve_agrees_with_sklearn_roc_curve_and_auc() -> None:
    """At every midpoint our FAR is sklearn's FPR and 1 - FRR its TPR at the next score up;
    roc_auc is sklearn's area and 1 for a perfect ranking."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 300)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0.001, 0.999).round(3)
    curve = error_curve(labels, scores)
    fpr, tpr, cuts = roc_curve(labels, scores, drop_intermediate=False)
    # Ascending scores d_0 < d_1 < ...: the midpoint after d_i accepts exactly s >= d_{i+1}.
    np.testing.assert_allclose(curve.far[1:-1], fpr[1:][::-1][1:], rtol=0, atol=1e-12)
    np.testing.assert_allclose(1 - curve.frr[1:-1], tpr[1:][::-1][1:], rtol=0, atol=1e-12)
    metrics = classification_metrics(labels, binary_proba(scores), ["a", "b"])
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(labels, scores))
    perfect = classification_metrics(
        np.array([0, 0, 1, 1]), binary_proba([0.1, 0.4, 0.6, 0.9]), ["a", "b"]
    )
    assert perfect["roc_auc"] == 1.0
    one_class = classification_metrics(np.array([1, 1]), binary_proba([0.2, 0.9]), ["a", "b"])
    assert "roc_auc" not in one_class
    assert "roc_auc" not in classification_metrics(np.array([0, 1, 2]), np.eye(3), list("abc"))
