"""Multi-label training and scoring: BCE with positive weights, and the per-attribute scores."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from sigbench.config import TrainConfig
from sigbench.data import positive_weights
from sigbench.errors import SigbenchError
from sigbench.models import create_model, model_config
from sigbench.training.inputs import FeatureInputs
from sigbench.training.loop import fit, predict_proba
from sigbench.training.losses import MultiLabelLoss, make_loss
from sigbench.training.multilabel import attribute_answer, headline_score, multilabel_metrics


def test_positive_weights_are_negatives_over_positives():
    labels = np.array([[1, 0, 0], [0, 0, 0], [1, 1, 0], [0, 0, 0]])
    assert positive_weights(labels).tolist() == [1.0, 3.0, 1.0]  # no positives: weight 1


def test_bce_with_pos_weight_by_hand():
    logits = torch.tensor([[0.0, 0.0], [2.0, -1.0]])
    target = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    loss = MultiLabelLoss(torch.tensor([3.0, 1.0]))(logits, target)

    def log_sigmoid(x: float) -> float:
        return -math.log1p(math.exp(-x))

    terms = [
        -3.0 * log_sigmoid(0.0),  # positive, weight 3
        -log_sigmoid(-0.0),  # negative: -log(1 - sigmoid(0))
        -log_sigmoid(-2.0),  # negative: -log(1 - sigmoid(2)) = -log sigmoid(-2)
        -1.0 * log_sigmoid(-1.0),  # positive, weight 1
    ]
    assert float(loss) == pytest.approx(sum(terms) / 4, rel=1e-6)
    smoothed = MultiLabelLoss(label_smoothing=0.2)(torch.zeros(1, 1), torch.ones(1, 1))
    assert float(smoothed) == pytest.approx(math.log(2))  # the target 0.9 at logit 0


def test_focal_is_refused_for_multilabel():
    with pytest.raises(SigbenchError, match="train.loss = 'focal' is for single-label"):
        make_loss("focal", gamma=2.0, class_weights=None, label_smoothing=0.0, multilabel=True)


def test_metrics_of_a_known_case():
    labels = np.array([[1, 0], [1, 1], [0, 0], [0, 1]])
    # predicted [[1, 1], [0, 1], [0, 0], [1, 1]]; 0.5 exactly is "absent"
    proba = np.array([[0.9, 0.6], [0.5, 0.8], [0.1, 0.2], [0.7, 0.51]])
    metrics = multilabel_metrics(labels, proba, ["a", "b"])
    a, b = metrics["per_attribute"]["a"], metrics["per_attribute"]["b"]
    # a: tp 1, fn 1, fp 1, tn 1.  b: tp 2, fn 0, fp 1, tn 1.
    assert a == {"accuracy": 0.5, "f1": 0.5, "far": 0.5, "frr": 0.5, "hter": 0.5, "positives": 2}
    assert b == {"accuracy": 0.75, "f1": 0.8, "far": 0.5, "frr": 0.0, "hter": 0.25, "positives": 2}
    assert metrics["mean_accuracy"] == 0.625
    assert metrics["mean_f1"] == pytest.approx(0.65)
    predicted = (proba > 0.5).astype(int)
    assert metrics["mean_f1"] == pytest.approx(f1_score(labels, predicted, average="macro"))
    assert (metrics["mean_far"], metrics["mean_frr"], metrics["mean_hter"]) == (0.5, 0.25, 0.375)
    assert metrics["exact_match"] == 0.25  # only image 3 has every attribute right
    low, high = metrics["mean_accuracy_ci95"]
    assert 0.0 <= low <= 0.625 <= high <= 1.0
    assert metrics["task"] == "multilabel"
    assert headline_score(metrics, "accuracy") == 0.625
    assert headline_score(metrics, "hter") == 0.375
    assert headline_score({"accuracy": 0.9}, "accuracy") == 0.9


def test_an_attribute_without_negatives_has_no_far_and_is_left_out_of_the_mean():
    labels = np.array([[1, 1], [1, 0]])
    metrics = multilabel_metrics(labels, np.array([[0.9, 0.9], [0.2, 0.9]]), ["always", "b"])
    assert math.isnan(metrics["per_attribute"]["always"]["far"])
    assert metrics["mean_far"] == 1.0  # b's only negative was accepted
    assert metrics["mean_frr"] == 0.25  # (0.5 + 0.0) / 2


def _attributes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features whose first two entries give two independent attributes."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, (n, 2))
    features = rng.normal(size=(n, 4, 3)).astype(np.float32)
    features[:, 0, 0] += 3.0 * (2 * labels[:, 0] - 1)
    features[:, 1, 0] += 3.0 * (2 * labels[:, 1] - 1)
    return features, labels


def test_fit_learns_two_attributes_with_one_logit_each():
    features, labels = _attributes(200, 1)
    val_features, val_labels = _attributes(60, 2)
    torch.manual_seed(0)
    model = create_model(
        "imagesig_fc", input_shape=(4, 3), num_classes=2, config=model_config("imagesig_fc")
    )
    result = fit(
        model,
        FeatureInputs(features),
        labels,
        FeatureInputs(val_features),
        val_labels,
        TrainConfig(epochs=30, batch_size=32, lr=0.01),
        class_weights=positive_weights(labels),
    )
    proba = predict_proba(model, FeatureInputs(val_features), multilabel=True)
    assert proba.shape == (60, 2) and not np.allclose(proba.sum(axis=1), 1.0)
    assert ((proba > 0.5) == val_labels).mean() > 0.9
    last = result.history[-1]
    assert last["val_acc"] > 0.9 and last["train_acc"] > 0.9 and "val_hter" not in last


def test_attribute_answer_names_those_above_threshold_with_the_answer_probability():
    label, probability = attribute_answer(np.array([0.9, 0.2, 0.5, 0.6]), ["a", "b", "c", "d"])
    assert label == "a;d"  # 0.5 exactly is absent
    assert probability == pytest.approx(0.9 * 0.8 * 0.5 * 0.6)
    assert attribute_answer(np.array([0.1, 0.3]), ["a", "b"])[0] == "(none)"
