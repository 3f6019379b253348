"""The paper's training recipe as config keys: focal loss, class weights, early stopping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sigbench.config import TrainConfig, load_config
from sigbench.models import create_model
from sigbench.training.inputs import FeatureInputs
from sigbench.training.loop import fit

REPO = Path(__file__).resolve().parents[2]
ALPHA = np.array([1.84, 0.68])  # Table 1's fire / no-fire class weights


def losses(config: TrainConfig, class_weights: np.ndarray | None) -> list[float]:
    """Training-loss history on fixed imbalanced blobs with a fixed initialisation."""
    rng = np.random.default_rng(0)
    labels = (rng.random(300) < 0.3).astype(np.int64)
    features = rng.normal(size=(300, 4, 3)).astype(np.float32)
    features[:, 0, 0] += 1.5 * labels
    torch.manual_seed(0)
    model = create_model("imagesig_fc", input_shape=(4, 3), num_classes=2)
    result = fit(
        model, FeatureInputs(features), labels, None, None, config, class_weights=class_weights
    )
    return [row["train_loss"] for row in result.history]


def test_focal_loss_with_gamma_zero_trains_exactly_like_cross_entropy() -> None:
    settings = {"epochs": 5, "batch_size": 64, "lr": 0.01}
    focal = losses(TrainConfig(loss="focal", focal_gamma=0.0, **settings), None)
    assert focal == pytest.approx(losses(TrainConfig(loss="ce", **settings), None), rel=1e-5)
    focal2 = losses(TrainConfig(loss="focal", focal_gamma=2.0, **settings), None)
    assert focal2[0] < focal[0]  # (1 - p)^2 down-weights every example


def test_focal_loss_with_gamma_zero_trains_like_class_weighted_cross_entropy() -> None:
    settings = {"epochs": 3, "batch_size": 64, "lr": 0.01}
    focal = losses(TrainConfig(loss="focal", focal_gamma=0.0, **settings), ALPHA)
    assert focal == pytest.approx(losses(TrainConfig(loss="ce", **settings), ALPHA), rel=1e-5)


@pytest.mark.e2e
@pytest.mark.parametrize("monitor", ["val_loss", "val_acc"])
def test_early_stopping_from_the_config_stops_a_real_run(tmp_path: Path, monitor: str) -> None:
    from sigbench.experiments.train import train_run

    config = load_config(
        REPO / "configs" / "demo.yaml",
        ["train.epochs=300", "train.lr=0.05", "train.patience=3", f"train.monitor={monitor}"],
    )
    metrics = train_run(config, tmp_path).metrics
    assert metrics["epochs_run"] < 300
    assert metrics["epochs_run"] - metrics["best_epoch"] == 3


@pytest.mark.e2e
def test_focal_loss_with_class_weights_records_the_weights(tmp_path: Path) -> None:
    from sigbench.experiments.train import train_run

    config = load_config(
        REPO / "configs" / "demo.yaml",
        [
            "train.epochs=3",
            "train.loss=focal",
            "data.balance=class_weights",
            "data.classes=['0', '1']",
            "data.max_per_class=60",
        ],
    )
    metrics = train_run(config, tmp_path).metrics
    assert set(metrics["class_weights"]) == {"0", "1"}
    assert "hter" in metrics
