"""train.device, train.precision and the loop's device habits, checked on the CPU; the
tests marked ``cuda`` run only where a GPU is (``scripts/gpu_check.sh`` selects them)."""

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from sigbench.config import TrainConfig, validate_config
from sigbench.errors import SigbenchError
from sigbench.models import create_model, model_config
from sigbench.training import loop
from sigbench.training.device import (
    available_devices,
    resolve_device,
    scoring_device,
    seed_everything,
)
from sigbench.training.inputs import FeatureInputs, ResidentFeatures, on_device

from .test_loop import blobs


def test_auto_takes_a_gpu_when_there_is_one_else_the_cpu() -> None:
    expected = "cuda:0" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and "mps" in available_devices():
        expected = "mps"
    assert str(resolve_device("auto")) == expected
    assert str(resolve_device("cpu")) == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
@pytest.mark.parametrize("name", ["cuda", "cuda:3"])
def test_a_missing_gpu_is_a_one_line_error_naming_what_there_is(name: str) -> None:
    with pytest.raises(SigbenchError, match=rf"^train.device = '{name}' is not available .*cpu"):
        resolve_device(name)


@pytest.mark.skipif(torch.cuda.device_count() > 7, reason="this machine has a cuda:7")
def test_a_run_trained_on_a_gpu_is_scored_where_it_is_opened() -> None:
    """Training on a missing device is an error; scoring a finished run is not: a run
    trained on ``cuda:7`` scores on this machine's ``auto`` pick."""
    assert scoring_device("cuda:7") == resolve_device("auto")
    assert scoring_device("cpu") == torch.device("cpu")


def test_a_device_name_that_is_not_one_fails_at_load() -> None:
    with pytest.raises(
        SigbenchError, match=r"train.device = .gpu.: .*choose one of auto, cpu, cuda, mps or cuda:N"
    ):
        validate_config({"train": {"device": "gpu"}}, "spec.yaml")
    assert validate_config({"train": {"device": "cuda:1"}}, "x").train.device == "cuda:1"


def test_the_run_id_is_the_same_on_every_device() -> None:
    ids = {
        validate_config({"train": {"device": device}}, "spec").run_id()
        for device in ("auto", "cpu", "cuda", "cuda:1", "mps")
    }
    assert len(ids) == 1


def test_precision_and_determinism_enter_the_run_id_only_when_set() -> None:
    plain = validate_config({}, "spec").run_id()
    assert validate_config({"train": {"precision": "32"}}, "spec").run_id() == plain
    assert validate_config({"train": {"precision": "bf16"}}, "spec").run_id() != plain
    assert validate_config({"train": {"deterministic": True}}, "spec").run_id() != plain


def test_seeding_covers_python_numpy_and_torch() -> None:
    draws = []
    for _ in range(2):
        seed_everything(7)
        draws.append((random.random(), np.random.rand(), torch.rand(1).item()))
    assert draws[0] == draws[1]


def test_deterministic_asks_torch_for_deterministic_algorithms() -> None:
    try:
        seed_everything(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
        seed_everything(0)  # the next run in this process does not inherit the flags
        assert not torch.are_deterministic_algorithms_enabled()
        assert not torch.backends.cudnn.deterministic
    finally:
        torch.use_deterministic_algorithms(False)


def _fit(config: TrainConfig, n: int = 200):
    features, labels = blobs(n, 1)
    val_features, val_labels = blobs(60, 2)
    torch.manual_seed(0)
    model = create_model(
        "imagesig_fc", input_shape=(4, 3), num_classes=2, config=model_config("imagesig_fc")
    )
    result = loop.fit(
        model, FeatureInputs(features), labels, FeatureInputs(val_features), val_labels, config
    )
    return model, result


@pytest.mark.parametrize("precision", ["bf16", "16-mixed"])
def test_reduced_precision_trains_on_the_cpu(precision: str) -> None:
    config = TrainConfig(epochs=15, batch_size=32, lr=0.01, device="cpu", precision=precision)
    model, result = _fit(config)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert max(row["val_acc"] for row in result.history) > 0.9
    assert all(p.dtype == torch.float32 for p in model.parameters())  # autocast, not a cast


def test_the_loop_reads_the_device_back_once_per_epoch_not_per_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A host read (``float``, ``.item()``) in the loop waits for the GPU: their count must
    not grow with the number of steps. (Reads inside torch, such as Adam's step counter,
    are of CPU tensors and are left out.)"""
    reads = {"count": 0}
    float_, item = torch.Tensor.__float__, torch.Tensor.item

    def counted(original):
        def read(self):
            if sys._getframe(1).f_code.co_filename == loop.__file__:
                reads["count"] += 1
            return original(self)

        return read

    monkeypatch.setattr(torch.Tensor, "__float__", counted(float_))
    monkeypatch.setattr(torch.Tensor, "item", counted(item))
    per_batch_size = {}
    for batch_size in (200, 10):  # 1 step and 20 steps per epoch
        reads["count"] = 0
        _fit(TrainConfig(epochs=2, batch_size=batch_size, device="cpu"))
        per_batch_size[batch_size] = reads["count"]
    assert per_batch_size[10] == per_batch_size[200] > 0


def test_on_the_cpu_batches_are_neither_pinned_nor_made_resident() -> None:
    inputs = FeatureInputs(np.zeros((5, 2, 3), dtype=np.float32))
    assert on_device(inputs, torch.device("cpu")) is inputs
    labels = torch.arange(5)
    batches = list(loop._batches(inputs, labels, np.arange(5), 2, torch.device("cpu")))
    assert [y.tolist() for _, y in batches] == [[0, 1], [2, 3], [4]]
    assert not any(x.is_pinned() for x, _ in batches)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_features_live_on_the_gpu_and_batches_come_from_there() -> None:
    device = torch.device("cuda:0")
    inputs = on_device(FeatureInputs(np.arange(30, dtype=np.float32).reshape(5, 2, 3)), device)
    assert isinstance(inputs, ResidentFeatures) and inputs.features.is_cuda
    labels = torch.arange(5, device=device)
    batches = list(loop._batches(inputs, labels, np.arange(5), 2, device))
    assert all(x.is_cuda and y.is_cuda for x, y in batches)
    assert batches[2][0].cpu().tolist() == [[[24.0, 25.0, 26.0], [27.0, 28.0, 29.0]]]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
@pytest.mark.parametrize("precision", ["32", "bf16", "16-mixed"])
def test_training_on_the_gpu_learns_as_on_the_cpu(precision: str) -> None:
    config = TrainConfig(epochs=15, batch_size=32, lr=0.01, device="cuda", precision=precision)
    model, result = _fit(config)
    assert max(row["val_acc"] for row in result.history) > 0.9
    assert next(model.parameters()).is_cuda


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_the_gpu_check_says_in_one_line_that_there_is_no_gpu() -> None:
    """Before installing anything: nvidia-smi finds no GPU here, or torch sees none."""
    script = Path(__file__).parents[2] / "scripts" / "gpu_check.sh"
    done = subprocess.run(
        [str(script)], capture_output=True, text=True, env={**os.environ, "PYTHON": sys.executable}
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("gpu_check: ")
    assert line.endswith("; run it on a machine with an NVIDIA GPU")
