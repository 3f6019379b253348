"""``--track`` end to end: the real CLI trains, MLflow's client, MLflow's UI in headless
Chromium and TensorBoard's reader check what it logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("mlflow", reason="the mlflow extra: pip install 'sigbench[mlflow]'")
pytest.importorskip(
    "tensorboard", reason="the tensorboard extra: pip install 'sigbench[tensorboard]'"
)
pytest.importorskip(
    "websocket", reason="the dev extra (make install-dev) installs websocket-client"
)

from mlflow.tracking import MlflowClient
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from typer.testing import CliRunner

from sigbench.cli import app
from sigbench.config import load_config

from .mlflow_ui import (
    NO_CHROMIUM,
    chromium,
    chromium_binary,
    experiment_url,
    mlflow_server,
    open_folded,
    open_sweep,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
DEPTHS = [1, 2, 3]
EPOCHS = 2
QUICK = ["--set", f"train.epochs={EPOCHS}"]
DEMO = REPO / "configs" / "demo.yaml"


def sigbench(*args: str | Path) -> str:
    """``sigbench ARGS`` in this process (Typer's CliRunner: no second Python and torch to
    start), with MLflow's default store under --results; its stdout, once it succeeded."""
    env = {"COLUMNS": "200", "MLFLOW_TRACKING_URI": None}  # None: unset while it runs
    done = CliRunner().invoke(app, [str(arg) for arg in args], env=env)
    assert done.exit_code == 0, f"{done.output[-3000:]}\n{done.exception!r}"
    return done.stdout


def _client(results: Path) -> MlflowClient:
    return MlflowClient(f"sqlite:///{results / 'mlflow.db'}")


def _all_runs(results: Path) -> list:
    client = _client(results)
    return [r for e in client.search_experiments() for r in client.search_runs([e.experiment_id])]


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A 3-point depth grid swept twice with --track mlflow; the second sweep's output."""
    folder = tmp_path_factory.mktemp("grid")
    spec = folder / "depth3.yaml"
    spec.write_text(f"signature.depth: {json.dumps(DEPTHS)}\n")
    command = ["ablate", "--grid", spec, "--config", DEMO, *QUICK]
    command += ["--track", "mlflow", "--results", folder / "results"]
    first = sigbench(*command)
    assert "mlflow: logged 3 runs, 0 already there" in first
    again = sigbench(*command)
    return folder / "results", [first, again]


def test_a_sweep_is_one_parent_with_a_child_per_point_and_a_rerun_adds_none(
    grid: tuple[Path, list[str]],
) -> None:
    results, (_, again) = grid
    assert "trained 0, already finished 3" in again
    assert "mlflow: logged 0 runs, 3 already there" in again
    runs = _all_runs(results)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and len(children) == len(DEPTHS)
    assert parents[0].info.run_name == "depth3"
    assert sorted(int(r.data.params["signature.depth"]) for r in children) == DEPTHS
    client = _client(results)
    for child in children:
        assert child.data.params["train.batch_size"] == "256"
        assert 0 <= child.data.metrics["accuracy"] <= 1
        history = client.get_metric_history(child.info.run_id, "val_acc")
        assert [m.step for m in history] == list(range(1, EPOCHS + 1))
        folder = results / "runs" / child.data.tags["sigbench.run_id"]
        metrics = json.loads((folder / "metrics.json").read_text())
        assert child.data.metrics["accuracy"] == metrics["accuracy"]


def test_the_mlflow_ui_lists_the_sweeps_runs(grid: tuple[Path, list[str]], tmp_path: Path) -> None:
    if chromium_binary() is None:
        pytest.skip(NO_CHROMIUM)
    results, _ = grid
    run_ids = sorted(p.name for p in (results / "runs").iterdir() if not p.name.startswith("."))
    assert len(run_ids) == len(DEPTHS)
    experiment = _client(results).get_experiment_by_name("depth3").experiment_id
    uri = f"sqlite:///{results / 'mlflow.db'}"
    with (
        mlflow_server(uri, tmp_path / "server.log") as base,
        chromium(tmp_path / "profile") as browser,
    ):
        url = experiment_url(base, experiment)
        folded = open_folded(browser, url)
        assert "depth3" in folded
        assert not any(run_id in folded for run_id in run_ids)  # children folded away
        table = open_sweep(browser, url)
    for run_id in run_ids:
        assert run_id in table, f"{run_id} not listed in the MLflow UI:\n{table}"


def test_train_tracks_to_both_and_keeps_the_run_id(tmp_path: Path) -> None:
    results = tmp_path / "results"
    done = sigbench(
        "train", DEMO, *QUICK, "--set", "track=[tensorboard]",
        "--track", "mlflow", "--results", results, "--analysis",
    )  # fmt: skip
    plain = load_config(DEMO, [f"train.epochs={EPOCHS}"]).run_id()
    run = results / "runs" / plain  # the same folder as without tracking
    assert run.is_dir(), list((results / "runs").iterdir())
    assert "mlflow: logged 1 runs" in done and "tensorboard: wrote 1 runs" in done

    (logged,) = _all_runs(results)
    client = _client(results)
    assert logged.data.params["signature.depth"] == "4"
    assert "track" not in logged.data.params
    assert len(client.get_metric_history(logged.info.run_id, "train_loss")) == EPOCHS
    top = {a.path for a in client.list_artifacts(logged.info.run_id)}
    assert {"config.yaml", "metrics.json", "history.csv", "analysis"} <= top
    assert "model.pt" not in top
    pictures = {a.path for a in client.list_artifacts(logged.info.run_id, "analysis")}
    assert "analysis/confusion_matrix.png" in pictures
    stored = Path(logged.info.artifact_uri.removeprefix("file://")) / "metrics.json"
    assert stored.read_bytes() == (run / "metrics.json").read_bytes()

    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    assert [s.step for s in events.Scalars("val_acc")] == list(range(1, EPOCHS + 1))


def test_report_tracks_runs_that_finished_before_tracking(
    grid: tuple[Path, list[str]],
) -> None:
    results, _ = grid
    done = sigbench("report", "--results", results, "--track", "tensorboard", "--track", "mlflow")
    assert "tensorboard: wrote 3 runs, 0 already there" in done
    assert "mlflow: logged 0 runs, 3 already there" in done  # under the same parent
    assert len(_all_runs(results)) == 1 + len(DEPTHS)
    runs = [p for p in (results / "runs").iterdir() if not p.name.startswith(".")]
    assert len(runs) == len(DEPTHS)
    assert all((run / "tensorboard").is_dir() for run in runs)


def test_tune_tracks_its_trials_under_one_study_run(tmp_path: Path) -> None:
    results = tmp_path / "results"
    space = tmp_path / "space.yaml"
    space.write_text("signature.depth: [2, 3]\n")
    command = ["tune", DEMO, "--space", space, "--trials", "2", "--study", "s"]
    done = sigbench(*command, *QUICK, "--track", "mlflow", "--results", results)
    assert "mlflow: logged" in done
    runs = _all_runs(results)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and parents[0].info.run_name == "s"
    trained = {path.name for path in (results / "runs").iterdir() if not path.name.startswith(".")}
    assert {child.data.tags["sigbench.run_id"] for child in children} == trained
    assert all(child.data.params["signature.depth"] in {"2", "3"} for child in children)
