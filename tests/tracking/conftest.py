"""Finished run folders written by hand (config, metrics, history, a picture), for trackers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from sigbench.config import dump_config, validate_config
from sigbench.runs import rundir

MakeRun = Callable[..., Path]
HISTORY = "epoch,train_loss,train_acc,val_loss,val_acc,seconds\n"


@pytest.fixture
def make_run(tmp_path: Path) -> MakeRun:
    """``make_run(depth=3)`` writes a finished run under ``tmp_path/results/runs``."""

    def write(depth: int = 4, epochs: int = 3, results: Path | None = None) -> Path:
        results = results or tmp_path / "results"
        config = validate_config({"name": "toy", "signature": {"depth": depth}})
        run = rundir.runs_dir(results) / config.run_id()
        (run / "analysis").mkdir(parents=True)
        (run / rundir.CHECKPOINT_FILE).write_bytes(b"weights")
        (run / rundir.CONFIG_FILE).write_text(dump_config(config))
        rows = [
            f"{e},{1 / e},{0.5 + e / 100},{1.1 / e},{0.4 + depth / 100 + e / 100},{e}"
            for e in range(1, epochs + 1)
        ]
        (run / rundir.HISTORY_FILE).write_text(HISTORY + "\n".join(rows) + "\n")
        Image.new("RGB", (8, 8), "red").save(run / "analysis" / "confusion_matrix.png")
        metrics = {
            "accuracy": 0.5 + depth / 10,
            "per_class": {"cat (tabby)": {"precision": 0.75, "support": 4}},
            "params": 1000 * depth,
            "train_seconds": 12.5,
            "feature_cache": "miss",
            "classes": ["cat (tabby)", "dog"],
        }
        rundir.write_json_atomic(run / rundir.METRICS_FILE, metrics)
        return run

    return write


SeedStore = Callable[[Path], str]


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store, built once: building its schema takes seconds."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def seed_store(mlflow_template: Path) -> SeedStore:
    """``seed_store(path)`` puts a copy of the empty store at ``path``; returns its URI."""

    def seed(path: Path) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mlflow_template, path)
        return f"sqlite:///{path}"

    return seed
