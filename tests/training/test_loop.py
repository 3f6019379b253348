"""The training loop on tiny separable data: it learns, keeps the best epoch, stops early."""

import numpy as np
import pytest
import torch

from sigbench.config import TrainConfig
from sigbench.errors import percent
from sigbench.models import create_model, model_config
from sigbench.progress import SILENT
from sigbench.training.inputs import FeatureInputs
from sigbench.training.loop import fit, predict_proba
from sigbench.training.losses import FocalLoss
from tests.helpers.progress import RecordingProgress


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    features = rng.normal(size=(n, 4, 3)).astype(np.float32)
    features[:, 0, 0] += 3.0 * (2 * labels - 1)
    return features, labels


def train(config: TrainConfig, seed: int = 0, on_epoch=None, progress=SILENT):
    features, labels = blobs(200, 1)
    val_features, val_labels = blobs(60, 2)
    torch.manual_seed(seed)
    model = create_model(
        "imagesig_fc",
        input_shape=(4, 3),
        num_classes=2,
        config=model_config("imagesig_fc", neurons=8),
    )
    result = fit(
        model,
        FeatureInputs(features),
        labels,
        FeatureInputs(val_features),
        val_labels,
        config,
        seed=seed,
        on_epoch=on_epoch,
        progress=progress,
    )
    return model, result, val_features, val_labels


def test_fit_learns_separable_data_and_keeps_best_epoch() -> None:
    model, result, val_features, val_labels = train(TrainConfig(epochs=30, batch_size=32, lr=0.01))
    proba = predict_proba(model, FeatureInputs(val_features))
    assert (proba.argmax(1) == val_labels).mean() > 0.9
    best = max(result.history, key=lambda row: row["val_acc"])
    assert result.history[result.best_epoch - 1]["val_acc"] == best["val_acc"]


def test_same_seed_gives_same_history() -> None:
    config = TrainConfig(epochs=3, batch_size=50)
    first, second = train(config)[1], train(config)[1]
    strip = [{k: v for k, v in row.items() if k != "seconds"} for row in first.history]
    again = [{k: v for k, v in row.items() if k != "seconds"} for row in second.history]
    assert strip == again


def test_early_stopping_stops_after_patience() -> None:
    config = TrainConfig(epochs=200, batch_size=200, lr=0.05, patience=3, monitor="val_loss")
    result = train(config)[1]
    assert len(result.history) < 200
    assert len(result.history) - result.best_epoch == 3


def test_oversized_batch_warns_and_uses_whole_set(caplog: pytest.LogCaptureFixture) -> None:
    result = train(TrainConfig(epochs=1, batch_size=3000))[1]
    assert "larger than the 200 training samples" in caplog.text
    assert len(result.history) == 1


def test_focal_loss_with_gamma_zero_is_weighted_cross_entropy() -> None:
    logits = torch.randn(16, 3)
    target = torch.randint(0, 3, (16,))
    alpha = torch.tensor([0.5, 1.0, 2.0])
    focal = FocalLoss(gamma=0.0, alpha=alpha)(logits, target)
    per_sample = torch.nn.functional.cross_entropy(logits, target, reduction="none")
    assert focal == pytest.approx(float((per_sample * alpha[target]).mean()), rel=1e-5)
    assert FocalLoss(gamma=2.0)(logits, target) < FocalLoss(gamma=0.0)(logits, target)


def test_val_loss_is_the_training_criterion_not_plain_nll() -> None:
    """monitor: val_loss must compare the loss training minimises (weighted, focal)."""
    features, labels = blobs(200, 1)
    val_features, val_labels = blobs(60, 2)
    model = create_model(
        "imagesig_fc",
        input_shape=(4, 3),
        num_classes=2,
        config=model_config("imagesig_fc", neurons=8),
    )
    config = TrainConfig(epochs=1, batch_size=50, loss="focal", focal_gamma=2.0)
    weights = np.array([0.25, 4.0])
    result = fit(
        model,
        FeatureInputs(features),
        labels,
        FeatureInputs(val_features),
        val_labels,
        config,
        class_weights=weights,
    )
    logits = model(torch.from_numpy(val_features)).detach()
    target = torch.as_tensor(val_labels)
    criterion = FocalLoss(gamma=2.0, alpha=torch.tensor(weights, dtype=torch.float32))
    expected = float(criterion(logits, target))
    plain_nll = float(torch.nn.functional.cross_entropy(logits, target))
    assert result.history[0]["val_loss"] == pytest.approx(expected, rel=1e-5)
    assert abs(expected - plain_nll) > 0.05
    accuracy = float((logits.argmax(1).numpy() == val_labels).mean())
    assert result.history[0]["val_acc"] == pytest.approx(accuracy)


def test_on_epoch_sees_each_finished_row_including_binary_hter() -> None:
    seen: list[dict[str, float]] = []
    result = train(TrainConfig(epochs=4, batch_size=50, lr=0.01), on_epoch=seen.append)[1]
    assert seen == result.history and [row["epoch"] for row in seen] == [1, 2, 3, 4]
    assert all(0.0 <= row["val_hter"] <= 1.0 for row in seen)
    assert seen[-1]["val_hter"] < 0.5  # the blobs are separable


class Stop(Exception):
    pass


def test_an_exception_from_on_epoch_stops_training_there() -> None:
    seen: list[int] = []

    def stop_at_two(row: dict[str, float]) -> None:
        seen.append(int(row["epoch"]))
        if row["epoch"] == 2:
            raise Stop

    with pytest.raises(Stop):
        train(TrainConfig(epochs=30, batch_size=50), on_epoch=stop_at_two)
    assert seen == [1, 2]


def test_the_progress_line_shows_val_acc_in_percent_as_the_summaries_do() -> None:
    progress = RecordingProgress()
    result = train(TrainConfig(epochs=2, batch_size=50), progress=progress)[1]
    seen = [line for task in progress.tasks for line in task.updated_descriptions]
    shown = [line for line in seen if line.startswith("epoch ")]
    expected = [f"val_acc {percent(row['val_acc'])}%" for row in result.history]
    assert len(shown) == 2 and all(want in line for want, line in zip(expected, shown, strict=True))
