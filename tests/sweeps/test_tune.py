"""tune on the built-in digits: trials as ordinary runs, reuse, pruning, outputs, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("optuna", reason="the tune extra: pip install 'sigbench[tune]'")

import optuna
import yaml

from sigbench.config import load_config
from sigbench.errors import SigbenchError
from sigbench.experiments.train import train_run
from sigbench.runs import rundir
from sigbench.sweeps.runner import ExecutorSettings, SweepOutcome, run_sweep
from sigbench.sweeps.space import SearchSpace, space_from_mapping
from sigbench.sweeps.study import decode_params, open_study, suggest
from sigbench.sweeps.tune import Tuner
from sigbench.sweeps.tune_outputs import write_outputs

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"
QUICK = ["train.epochs=3", "model.neurons=16"]
SPACE = {"train.lr": {"low": 1e-3, "high": 3e-2, "log": True}, "signature.depth": [2, 3]}


def tune(results: Path, study: str, trials: int, space: dict = SPACE, **options) -> SweepOutcome:
    base = load_config(DEMO, QUICK)
    parsed = space_from_mapping(space, base, "space.yaml")
    opened = open_study(results, study, metric="val_acc", base=base, space=parsed, trials=trials)
    for values in options.pop("enqueue", []):
        opened.enqueue_trial(values)
    tuner = Tuner(opened, base, parsed, results, trials=trials, metric="val_acc")
    outcome = run_sweep(tuner, results, ExecutorSettings())
    write_outputs(opened, parsed, results, "val_acc")
    return outcome


def load(results: Path, study: str) -> optuna.Study:
    url = f"sqlite:///{results / 'tune' / study / 'study.db'}"
    return optuna.load_study(study_name=study, storage=url)


def test_a_study_reaches_its_trials_as_runs_and_best_yaml_retrains_the_same(
    tmp_path: Path,
) -> None:
    outcome = tune(tmp_path, "s", trials=3)
    study = load(tmp_path, "s")
    assert len(study.trials) == 3 and all(t.state.is_finished() for t in study.trials)
    frame = (tmp_path / "tune" / "s" / "trials.csv").read_text().splitlines()
    assert frame[0].split(",")[:5] == ["number", "state", "train.lr", "signature.depth", "val_acc"]
    assert len(frame) == 4
    best = study.best_trial
    run = tmp_path / "runs" / best.user_attrs["run_id"]
    assert best.user_attrs["run_id"] in outcome.trained and rundir.is_finished(run)
    # The trial's score is the validation accuracy of the epoch the run kept.
    history = rundir.read_history(run)
    assert best.value == history[rundir.read_metrics(run)["best_epoch"] - 1]["val_acc"]
    assert sorted(best.intermediate_values) == [1, 2, 3]
    # best.yaml is the run's full config; training it again gives the same numbers.
    config = load_config(tmp_path / "tune" / "s" / "best.yaml")
    assert config.run_id() == best.user_attrs["run_id"]
    assert config.train.lr == best.params["train.lr"]
    again = train_run(config, tmp_path / "again")
    assert again.metrics["accuracy"] == rundir.read_metrics(run)["accuracy"]
    assert [row["val_acc"] for row in again.history] == [row["val_acc"] for row in history]
    assert {"history.png", "params.png", "best.yaml"} <= {
        p.name for p in (tmp_path / "tune" / "s").iterdir()
    }


def test_a_trial_whose_run_is_finished_is_not_trained_again(tmp_path: Path) -> None:
    first = tune(tmp_path, "one", trials=2)
    stamps = {run_id: (tmp_path / "runs" / run_id / "metrics.json").stat().st_mtime_ns
              for run_id in first.trained}  # fmt: skip
    # Same seed, fresh study: the same first proposals, so the same runs.
    second = tune(tmp_path, "two", trials=2)
    assert second.skipped == first.trained and second.trained == []
    for run_id, stamp in stamps.items():
        assert (tmp_path / "runs" / run_id / "metrics.json").stat().st_mtime_ns == stamp
    reused = load(tmp_path, "two").trials[0]
    assert reused.user_attrs["reused"] is True and sorted(reused.intermediate_values) == [1, 2, 3]


def test_the_median_pruner_stops_a_hopeless_trial_without_a_run_folder(tmp_path: Path) -> None:
    space = {"train.lr": {"low": 1e-7, "high": 3e-2, "log": True}}
    enqueue = [{"train.lr": 0.02}, {"train.lr": 0.03}, {"train.lr": 1e-7}]
    outcome = tune(tmp_path, "p", trials=3, space=space, enqueue=enqueue)
    hopeless = load(tmp_path, "p").trials[2]
    assert hopeless.state == optuna.trial.TrialState.PRUNED
    assert sorted(hopeless.intermediate_values) == [1, 2]  # warm-up epoch 1, stopped at 2
    assert outcome.pruned == [hopeless.user_attrs["run_id"]]
    assert not (tmp_path / "runs" / hopeless.user_attrs["run_id"]).exists()


def test_a_metric_the_task_lacks_stops_after_three_failed_trials(tmp_path: Path) -> None:
    base = load_config(DEMO, QUICK)
    parsed = space_from_mapping(SPACE, base, "space.yaml")
    study = open_study(tmp_path, "h", metric="val_hter", base=base, space=parsed, trials=5)
    tuner = Tuner(study, base, parsed, tmp_path, trials=5, metric="val_hter")
    with pytest.raises(SigbenchError, match="3 trials in a row failed.*needs a two-class task"):
        run_sweep(tuner, tmp_path, ExecutorSettings())


def test_a_study_refuses_another_space_config_or_metric(tmp_path: Path) -> None:
    base = load_config(DEMO, QUICK)
    parsed = space_from_mapping(SPACE, base, "space.yaml")
    open_study(tmp_path, "x", metric="val_acc", base=base, space=parsed, trials=2)
    other = space_from_mapping({"signature.depth": [2, 3, 4]}, base, "space.yaml")
    with pytest.raises(SigbenchError, match="started with another search space"):
        open_study(tmp_path, "x", metric="val_acc", base=base, space=other, trials=2)
    with pytest.raises(SigbenchError, match="another --metric"):
        open_study(tmp_path, "x", metric="val_loss", base=base, space=parsed, trials=2)
    longer = load_config(DEMO, ["train.epochs=4", "model.neurons=16"])
    with pytest.raises(SigbenchError, match="another base config"):
        open_study(tmp_path, "x", metric="val_acc", base=longer, space=parsed, trials=2)


def test_list_choices_travel_as_json_and_come_back_as_lists() -> None:
    base = load_config(DEMO)
    space: SearchSpace = space_from_mapping(
        {"data.augment": [[], ["flip_horizontal"]], "signature.path": ["time", "none"]}, base, "s"
    )
    trial = optuna.create_study().ask()
    values = suggest(trial, space)
    assert values["data.augment"] in ([], ["flip_horizontal"])
    assert isinstance(trial.params["data.augment"], str)
    assert decode_params(space, trial.params) == values
    assert yaml.safe_load(yaml.safe_dump(values)) == values


def test_outputs_keep_integer_columns_when_a_trial_was_cut_off_before_drawing(
    tmp_path: Path,
) -> None:
    base = load_config(DEMO)
    space = space_from_mapping(
        {"model.neurons": {"low": 16, "high": 256}, "train.batch_size": [64, 256]}, base, "s"
    )
    study = optuna.create_study(direction="maximize")
    trial = study.ask()
    suggest(trial, space)
    trial.set_user_attr("run_id", "missing-run")
    study.tell(trial, 0.5)
    study.tell(study.ask(), state=optuna.trial.TrialState.FAIL)  # killed before it drew
    summary = write_outputs(study, space, tmp_path, "val_acc")
    rows = (tmp_path / "tune" / study.study_name / "trials.csv").read_text().splitlines()
    assert rows[1].split(",")[2:4] == [str(trial.params["model.neurons"]),
                                       str(trial.params["train.batch_size"])]  # fmt: skip
    assert summary.best_number == 0 and summary.best_run is None  # its run is not there
    assert (tmp_path / "tune" / study.study_name / "params.png").is_file()
