"""train.device and train.precision as a user sets them on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

import sigbench.cli as cli
from sigbench.errors import SigbenchError

DEMO = str(Path(__file__).parents[2] / "configs" / "demo.yaml")


def invoke(*args: str):
    return CliRunner().invoke(cli.app, list(args))


@pytest.mark.skipif(torch.cuda.device_count() > 7, reason="this machine has a cuda:7")
def test_train_on_a_missing_gpu_is_one_line_naming_the_devices_there_are(tmp_path: Path) -> None:
    result = invoke("train", DEMO, "--set", "train.device=cuda:7", "--results", str(tmp_path))
    assert isinstance(result.exception, SigbenchError), result.output
    message = str(result.exception)
    assert "\n" not in message
    assert message.startswith("train.device = 'cuda:7' is not available")
    assert "cpu" in message
    # Checked before any work: no cache, no run folder (a run's lock file stays by design).
    left = [path.name for path in tmp_path.rglob("*") if path.is_file()]
    assert all(name.startswith(".lock-") for name in left), left


def test_bf16_training_runs_and_lands_in_its_own_run(tmp_path: Path) -> None:
    common = ["--set", "train.epochs=2", "--set", "train.device=cpu", "--results", str(tmp_path)]
    plain = invoke("train", DEMO, *common)
    bf16 = invoke("train", DEMO, *common, "--set", "train.precision=bf16")
    assert plain.exit_code == 0, plain.output
    assert bf16.exit_code == 0, bf16.output
    configs = [path.read_text() for path in (tmp_path / "runs").glob("*/config.yaml")]
    assert len(configs) == 2
    assert sum("precision: bf16" in config for config in configs) == 1
