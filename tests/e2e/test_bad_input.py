"""Bad input as a user meets it: one line, a non-zero exit, no traceback, no lost work.

The commands run in this process through ``sigbench.cli.main`` (the ``run_cli`` fixture):
the same status, stdout and stderr as the entry point, without a Python start per line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.helpers.cli import Outcome, RunCli, metrics_of, one_error_line, only_run

pytestmark = pytest.mark.e2e

QUICK = ("--set", "train.epochs=2")


@pytest.fixture(scope="module")
def messy_folder(fire_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny fire folder plus a truncated JPEG, an RGBA PNG and a text file."""
    root = tmp_path_factory.mktemp("messy")
    shutil.copytree(fire_folder, root, dirs_exist_ok=True)
    fire = root / "training_set" / "fire"
    (fire / "broken.jpg").write_bytes((fire / "0.jpg").read_bytes()[:200])
    rgba = np.random.default_rng(0).integers(0, 256, (30, 30, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(fire / "transparent.png")
    (fire / "notes.txt").write_text("not an image\n")
    return root


def train_on(run_cli: RunCli, folder: Path, results: Path, *extra: str) -> Outcome:
    return run_cli(
        "train", "configs/fire_d4.yaml",
        "--set", f"data.train={folder / 'training_set'}",
        "--set", f"data.test={folder / 'test_set'}",
        "--set", "data.image_size=16", "--set", "data.augment=[]",
        *QUICK, *extra, "--results", results,
    )  # fmt: skip


def test_messy_folder_trains_with_a_clear_warning(
    run_cli: RunCli, messy_folder: Path, tmp_path: Path
) -> None:
    done = train_on(run_cli, messy_folder, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "skipped 2" in done.stderr and "broken.jpg" in done.stderr
    metrics = metrics_of(only_run(tmp_path))
    assert (
        metrics["class_counts"]["train_before_balance"]["fire"]
        + metrics["class_counts"]["val"]["fire"]
        == 25
    )  # 24 good JPEGs and the RGBA PNG


def test_strict_mode_stops_at_the_first_bad_file(
    run_cli: RunCli, messy_folder: Path, tmp_path: Path
) -> None:
    line = one_error_line(train_on(run_cli, messy_folder, tmp_path, "--set", "data.strict=true"))
    assert "broken.jpg" in line or "notes.txt" in line


def test_unknown_model_kind_lists_the_valid_ones(run_cli: RunCli, tmp_path: Path) -> None:
    done = run_cli("train", "configs/demo.yaml", "--set", "model.kind=resnet9000", "-r", tmp_path)
    line = one_error_line(done)
    assert "resnet9000" in line and "imagesig_fc" in line and "mobilenetv2" in line


def test_missing_folder_names_the_key(run_cli: RunCli, tmp_path: Path) -> None:
    done = run_cli(
        "train",
        "configs/fire_d4.yaml",
        "--set",
        f"data.train={tmp_path / 'nowhere'}",
        "-r",
        tmp_path,
    )
    assert "data.train" in one_error_line(done)


def test_eval_of_missing_or_foreign_checkpoints(run_cli: RunCli, tmp_path: Path) -> None:
    assert "no such run folder" in one_error_line(run_cli("eval", tmp_path / "absent"))
    fake = tmp_path / "runs" / "fake"
    fake.mkdir(parents=True)
    (fake / "config.yaml").write_text("data: {source: builtin, name: digits, image_size: 8}\n")
    assert "model.pt is missing" in one_error_line(run_cli("eval", fake))
    torch.save({"weights": torch.zeros(3)}, fake / "model.pt")
    assert "not a sigbench checkpoint" in one_error_line(run_cli("eval", fake))
    (fake / "model.pt").write_bytes(b"garbage")
    assert "not a readable checkpoint" in one_error_line(run_cli("eval", fake))


def test_eval_on_data_with_other_classes(
    run_cli: RunCli, fire_folder: Path, tmp_path: Path
) -> None:
    assert train_on(run_cli, fire_folder, tmp_path).returncode == 0
    other = tmp_path / "other_test"
    for name in ("cat", "dog"):
        shutil.copytree(fire_folder / "test_set" / "fire", other / name)
    line = one_error_line(run_cli("eval", only_run(tmp_path), "--data", other))
    assert "classes" in line and "cat" in line and "fire" in line


def test_same_config_and_seed_give_the_same_metrics(run_cli: RunCli, tmp_path: Path) -> None:
    """Both runs in one process: nothing the first leaves behind changes the second."""
    scores = []
    for attempt in ("first", "second"):
        done = run_cli("train", "configs/demo.yaml", *QUICK, "--results", tmp_path / attempt)
        assert done.returncode == 0, done.stderr
        metrics = metrics_of(only_run(tmp_path / attempt))
        scores.append({k: metrics[k] for k in ("accuracy", "f1_macro", "ece", "per_class")})
    assert json.dumps(scores[0], sort_keys=True) == json.dumps(scores[1], sort_keys=True)
