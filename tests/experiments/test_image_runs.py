"""Image models through ``train_run`` on built-in faces: online augmentation instead of
offline copies, finetune freezing, CPU speed in metrics.json, and reloading without ImageNet
files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigbench.config import validate_config
from sigbench.experiments.evaluate import evaluate_run
from sigbench.experiments.inputs import data_settings
from sigbench.experiments.train import train_run
from sigbench.runs.checkpoint import load_run

FACES = {
    "data": {"source": "builtin", "name": "lfw-faces", "image_size": 25},
    "train": {"epochs": 2, "batch_size": 64},
}


def config(*overrides: str):
    return validate_config(FACES, "test", list(overrides))


def test_image_models_skip_offline_copies_but_signature_models_keep_them() -> None:
    augment = "data.augment=[flip_horizontal, noise]"
    assert data_settings(config("model.kind=simple_cnn", augment)).augment == []
    kept = data_settings(config("model.kind=imagesig_fc", augment)).augment
    assert kept == ["flip_horizontal", "noise"]


def test_an_augmented_image_run_records_its_speed_and_reloads(tmp_path: Path) -> None:
    run = train_run(config("model.kind=simple_cnn", "data.augment=[flip_horizontal]"), tmp_path)
    metrics = run.metrics
    assert metrics["n_train"] == 144  # 200 faces - 20% test - 10% val, and no copies
    assert metrics["latency_ms"] > 0 and metrics["images_per_s"] > 0
    assert metrics["trainable_params"] == metrics["params"] and "finetune" not in metrics
    again = evaluate_run(run.run_dir)
    assert again["accuracy"] == pytest.approx(metrics["accuracy"])


def test_a_transfer_run_trains_the_head_only_and_reloads_without_the_weights_file(
    tmp_path: Path,
) -> None:
    import timm
    import torch

    weights = tmp_path / "resnet18.pth"
    torch.save(timm.create_model("resnet18").state_dict(), weights)
    run = train_run(config("model.kind=resnet18", f"model.weights={weights}"), tmp_path)
    assert run.metrics["finetune"] == "head"
    assert run.metrics["trainable_params"] == 512 * 50 + 50 + 50 * 2 + 2
    weights.unlink()
    assert load_run(run.run_dir).model.backbone.conv1.weight.shape == (64, 3, 7, 7)
