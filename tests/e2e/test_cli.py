"""The CLI end to end on built-in real data and tiny image folders, as a new user runs it.

The demo run is trained by ``python -m sigbench`` in a subprocess (the smoke test of the
entry point); the other commands run in this process (the ``run_cli`` fixture).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from sigbench.errors import percent
from sigbench.signature.backends import BACKENDS
from tests.helpers.cli import REPO, RunCli, metrics_of, one_error_line, only_run, sigbench

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("results")
    done = sigbench("train", "configs/demo.yaml", "--set", "train.epochs=20", "--results", results)
    assert done.returncode == 0, done.stderr
    return only_run(results)


def test_train_writes_a_whole_run_folder_with_the_promised_metrics(demo_run: Path) -> None:
    names = {p.name for p in demo_run.iterdir()}
    assert {"config.yaml", "metrics.json", "history.csv", "model.pt"} <= names
    metrics = metrics_of(demo_run)
    required = {"accuracy", "f1_macro", "params", "weights_kb", "checkpoint_kb", "train_seconds",
                "featurize_seconds", "n_train", "n_test"}  # fmt: skip
    assert required <= metrics.keys()
    assert metrics["accuracy"] > 0.5  # ten classes: chance is 0.1
    low, high = metrics["accuracy_ci95"]
    assert low <= metrics["accuracy"] <= high and metrics["ci95_resamples"] > 0
    assert metrics["checkpoint_kb"] > metrics["weights_kb"]  # Adam state is saved too
    assert len((demo_run / "history.csv").read_text().splitlines()) == 1 + 20


def test_every_run_records_what_produced_it(demo_run: Path) -> None:
    provenance = json.loads((demo_run / "run.json").read_text())
    assert provenance["command"].startswith("python -m sigbench train configs/demo.yaml --set ")
    assert provenance["overrides"] == ["train.epochs=20"]
    assert provenance["signature"]["backend"] == "auto"  # the config's, resolved:
    assert provenance["signature"]["resolved_backend"] in BACKENDS
    assert provenance["signature"]["package_version"]
    assert provenance["torch"] == torch.__version__ and provenance["numpy"] == np.__version__
    assert provenance["device"] == "cpu" and provenance["threads"] >= 1 and provenance["cpu"]
    assert len(provenance["git"]["commit"]) == 40  # the tests run from a checkout
    assert isinstance(provenance["git"]["dirty"], bool)


def test_eval_reproduces_the_test_metrics(run_cli: RunCli, demo_run: Path) -> None:
    done = run_cli("eval", demo_run)
    assert done.returncode == 0, done.stderr
    accuracy = metrics_of(demo_run)["accuracy"]
    assert "accuracy (%)" in done.stdout and percent(accuracy) in done.stdout


def test_predict_prints_class_and_probability(
    run_cli: RunCli, demo_run: Path, tmp_path: Path
) -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    paths = []
    for index in (0, 1):
        path = tmp_path / f"digit{index}.png"
        Image.fromarray((digits.images[index] * 255 / 16).astype(np.uint8)).save(path)
        paths.append(path)
    done = run_cli("predict", demo_run, *paths)
    assert done.returncode == 0, done.stderr
    assert "digit0.png" in done.stdout and "digit1.png" in done.stdout


def test_fire_config_without_data_says_where_to_put_it(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    done = run_cli("train", REPO / "configs/fire_d4.yaml", "--results", tmp_path)
    assert done.returncode != 0
    assert "data/fire/training_set" in one_error_line(done)


@pytest.mark.parametrize(("size", "params"), [(32, 192_152), (64, 384_152)])
def test_table2_parameter_counts(
    run_cli: RunCli, fire_folder: Path, tmp_path: Path, size: int, params: int
) -> None:
    done = run_cli(
        "train", "configs/fire_d4.yaml",
        "--set", f"data.train={fire_folder / 'training_set'}",
        "--set", f"data.test={fire_folder / 'test_set'}",
        "--set", f"data.image_size={size}",
        "--set", "data.augment=[]",
        "--set", "train.epochs=2",
        "--results", tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert metrics_of(only_run(tmp_path))["params"] == params


def test_bad_config_value_is_one_line_without_traceback(run_cli: RunCli) -> None:
    done = run_cli("train", "configs/demo.yaml", "--set", "signature.depth=0")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "signature.depth = 0" in one_error_line(done)


def test_later_runs_and_eval_map_the_pixels_the_first_run_decoded(
    run_cli: RunCli, fire_folder: Path, tmp_path: Path
) -> None:
    def train(*sets: str) -> dict:
        done = run_cli(
            "train", "configs/fire_d4.yaml",
            "--set", f"data.train={fire_folder / 'training_set'}",
            "--set", f"data.test={fire_folder / 'test_set'}",
            "--set", "data.image_size=16", "--set", "train.epochs=1",
            *(arg for value in sets for arg in ("--set", value)),
            "--results", tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        runs = sorted((tmp_path / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
        return metrics_of(runs[-1])

    first = train()
    second = train("model.neurons=10")  # another run, the same pixels
    off = train("model.neurons=5", "data.cache=false")
    assert (first["pixel_cache"], second["pixel_cache"], off["pixel_cache"]) == (
        "miss", "hit", "off",
    )  # fmt: skip
    assert all(m["decode_seconds"] >= 0 for m in (first, second, off))
    entries = sorted((tmp_path / "cache" / "pixels").glob("*.npy"))
    assert len(entries) == 3  # train, validation and test splits
    before = [p.stat().st_mtime_ns for p in entries]
    run = next(p for p in (tmp_path / "runs").iterdir() if not p.name.startswith("."))
    assert run_cli("eval", run, "--tta", "hflip").returncode == 0
    assert [p.stat().st_mtime_ns for p in entries] == before  # read, never rewritten
    assert len(sorted((tmp_path / "cache" / "pixels").glob("*.npy"))) == 3
