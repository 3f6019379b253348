"""MLflow tracking against a real SQLite store, read back with MLflow's own client."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("mlflow", reason="the mlflow extra: pip install 'sigbench[mlflow]'")

from mlflow.tracking import MlflowClient

from sigbench.errors import SigbenchError
from sigbench.tracking import TrackedSweep, Tracking
from sigbench.tracking.mlflow_tracker import RUN_ID_TAG, default_uri

from .conftest import MakeRun, SeedStore

GRID = TrackedSweep(
    "grid", "depth", "depth|configs/toy.yaml|", {"grid.signature.depth": "[2, 3, 4]"}
)


def _runs(results: Path, experiment: str) -> list:
    client = MlflowClient(default_uri(results))
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r}"
    return client.search_runs([found.experiment_id])


def test_one_run_holds_params_metrics_history_tags_and_artifacts(
    make_run: MakeRun, seed_store: SeedStore
) -> None:
    run = make_run(depth=3)
    results = run.parents[1]
    seed_store(results / "mlflow.db")
    with Tracking(["mlflow"], results) as tracking:
        tracking.log(run)
    (logged,) = _runs(results, "toy")
    data = logged.data
    assert data.params["signature.depth"] == "3"
    assert data.params["train.batch_size"] == "3000"
    assert data.params["data.augment"] == "[]"
    assert data.metrics["accuracy"] == pytest.approx(0.8)
    assert data.metrics["per_class.cat _tabby_.precision"] == 0.75  # unsafe characters replaced
    assert data.tags[RUN_ID_TAG] == run.name
    assert data.tags["sigbench.seed"] == "0"
    assert data.tags["feature_cache"] == "miss"
    assert "sigbench.version" in data.tags
    assert logged.info.status == "FINISHED"
    assert logged.info.run_name == run.name

    client = MlflowClient(default_uri(results))
    history = client.get_metric_history(logged.info.run_id, "val_acc")
    assert [(m.step, round(m.value, 4)) for m in history] == [(1, 0.44), (2, 0.45), (3, 0.46)]
    top = {a.path for a in client.list_artifacts(logged.info.run_id)}
    assert top == {"analysis", "config.yaml", "history.csv", "metrics.json"}  # no model.pt
    pictures = [a.path for a in client.list_artifacts(logged.info.run_id, "analysis")]
    assert pictures == ["analysis/confusion_matrix.png"]
    assert (results / "mlartifacts" / "toy").is_dir()  # the embedded default's artifact root
    kind = client.get_experiment_by_name("toy").tags["mlflow.experimentKind"]
    assert kind == "custom_model_development"  # the UI's runs view, not its GenAI one


def test_logging_again_adds_nothing_and_a_sweep_nests_under_one_parent(
    make_run: MakeRun, seed_store: SeedStore
) -> None:
    runs = [make_run(depth=d) for d in (2, 3, 4)]
    results = runs[0].parents[1]
    seed_store(results / "mlflow.db")
    with Tracking(["mlflow"], results) as tracking:
        tracking.log_all(runs, GRID)
        tracking.log_all(runs, GRID)  # as ablate does: each run as trained, then all
    assert tracking.summaries()[0].startswith("mlflow: logged 3 runs, 0 already there")
    with Tracking(["mlflow"], results) as tracking:  # the same sweep again finds everything
        tracking.log_all(runs, GRID)
    assert tracking.summaries()[0].startswith("mlflow: logged 0 runs, 3 already there")
    logged = _runs(results, "depth")
    parents = [r for r in logged if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in logged if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and len(children) == 3
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parents[0].info.run_id}
    assert parents[0].data.params == {"grid.signature.depth": "[2, 3, 4]"}
    assert sorted(r.data.tags[RUN_ID_TAG] for r in children) == sorted(r.name for r in runs)


def test_a_half_logged_run_is_logged_again(make_run: MakeRun, seed_store: SeedStore) -> None:
    run = make_run()
    results = run.parents[1]
    client = MlflowClient(seed_store(results / "mlflow.db"))
    experiment = client.create_experiment("toy")
    client.create_run(experiment, tags={RUN_ID_TAG: run.name})  # left RUNNING, no metrics
    with Tracking(["mlflow"], results) as tracking:
        tracking.log(run)
    (logged,) = _runs(results, "toy")
    assert logged.info.status == "FINISHED" and "accuracy" in logged.data.metrics


def test_the_environment_and_track_uri_name_other_stores(
    make_run: MakeRun, seed_store: SeedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = make_run()
    monkeypatch.chdir(tmp_path)  # MLflow puts other stores' artifacts in ./mlruns
    elsewhere = seed_store(tmp_path / "env.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", elsewhere)
    with Tracking(["mlflow"], run.parents[1]) as tracking:
        tracking.log(run)
    explicit = seed_store(tmp_path / "flag.db")
    with Tracking(["mlflow"], run.parents[1], uri=explicit) as tracking:
        tracking.log(run)
    assert not (run.parents[1] / "mlflow.db").exists()
    assert (tmp_path / "mlruns").is_dir()
    for uri in (elsewhere, explicit):
        client = MlflowClient(uri)
        experiment = client.get_experiment_by_name("toy")
        assert len(client.search_runs([experiment.experiment_id])) == 1


def test_a_missing_mlflow_names_the_extra(
    make_run: MakeRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)  # as if not installed
    with pytest.raises(SigbenchError, match=r"pip install 'sigbench\[mlflow\]'"):
        Tracking(["mlflow"], make_run().parents[1])


def test_no_trackers_write_nothing(make_run: MakeRun) -> None:
    run = make_run()
    with Tracking([], run.parents[1]) as tracking:
        tracking.log(run)
    assert sorted(p.name for p in run.parents[1].iterdir()) == ["runs"]


def test_an_unknown_tracker_is_one_line() -> None:
    with pytest.raises(
        SigbenchError, match="'wandb': not a tracker; choose from mlflow, tensorboard"
    ):
        Tracking(["wandb"], Path("unused"))
