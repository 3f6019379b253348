"""``train`` on a run that exists: shown, not retrained (``--force`` retrains and says what
it removes); a run another process holds (``--no-wait``); Ctrl-C's one line; and
``--print-config``, which trains nothing. Training is ``fake_train`` here (the CLI's own
paths are under test); tests/e2e and tests/tracking train for real."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sigbench.cli import app
from sigbench.config import ExperimentConfig, load_config
from sigbench.experiments import train as train_module
from sigbench.experiments.train import RunResult
from sigbench.progress import Progress
from sigbench.runs import rundir
from sigbench.runs.locks import try_lock
from sigbench.sweeps import base as sweeps_base
from tests.helpers.fake_runs import fake_train

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"
QUICK = ["--set", "train.epochs=5"]


@pytest.fixture
def trains(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``train_run`` replaced by ``fake_train``; the list of run ids it trained."""
    trained: list[str] = []

    def fake_train_run(config: ExperimentConfig, results: Path, **options: object) -> RunResult:
        trained.append(config.run_id())
        run = fake_train(config, results, options.get("progress"))  # type: ignore[arg-type]
        return RunResult(run, rundir.read_metrics(run))

    monkeypatch.setattr(train_module, "train_run", fake_train_run)
    return trained


def sigbench(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split())  # rich wraps long lines


def test_a_finished_run_is_shown_not_retrained_and_keeps_what_was_made_from_it(
    tmp_path: Path, trains: list[str]
) -> None:
    code, _ = sigbench("train", DEMO, *QUICK, "--results", tmp_path)
    assert code == 0 and len(trains) == 1
    run = rundir.runs_dir(tmp_path) / trains[0]
    (run / "export").mkdir()
    (run / "export" / "model.onnx").write_bytes(b"onnx")
    (run / "robustness.csv").write_text("transform,accuracy\n")
    (run / rundir.PROVENANCE_FILE).write_text("{}")  # as train_run writes it (fake_train not)
    code, output = sigbench("train", DEMO, *QUICK, "--results", tmp_path)
    assert code == 0 and len(trains) == 1
    assert f"already trained: {run} (the same spec lands in the same folder); --force " in output
    assert "accuracy" in output  # its summary table
    assert (run / "export" / "model.onnx").read_bytes() == b"onnx"

    code, output = sigbench("train", DEMO, *QUICK, "--results", tmp_path, "--force")
    assert code == 0 and trains == [run.name, run.name]
    assert f"retraining {run.name}; this removes what was made from it: export/, " in output
    assert "robustness.csv" in output
    assert "run.json" not in output  # written again, not lost
    assert not (run / "export").exists() and rundir.is_finished(run)


def test_a_run_another_process_holds_is_named_with_no_wait(
    tmp_path: Path, trains: list[str]
) -> None:
    run_id = load_config(DEMO, ["train.epochs=5"]).run_id()
    other = try_lock(tmp_path, run_id)  # another holder: a second open file description
    assert other is not None
    try:
        code, output = sigbench("train", DEMO, *QUICK, "--results", tmp_path, "--no-wait")
    finally:
        other.release()
    assert code == 3 and trains == []
    assert f"{run_id} is being trained by process " in output and "--no-wait" in output


def test_ctrl_c_during_training_says_which_run_and_epoch_and_how_to_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted_in_epoch_3(config: ExperimentConfig, results: Path, **options) -> None:
        for epoch in (1, 2):
            options["on_epoch"]({"epoch": epoch})
        rundir.partial_dir(results, config.run_id())  # what a run killed mid-write leaves
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "train_run", interrupted_in_epoch_3)
    code, output = sigbench("train", DEMO, *QUICK, "--results", tmp_path)
    run_id = load_config(DEMO, ["train.epochs=5"]).run_id()
    assert code == 130
    assert (
        f"interrupted train run {run_id} in epoch 3 of 5; nothing half-written left; "
        f"continue with: sigbench train {DEMO} --set train.epochs=5 --results {tmp_path}"
    ) in output
    assert rundir.unfinished_runs(tmp_path) == []


def test_ctrl_c_in_a_sweep_names_the_grid_point_and_keeps_finished_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grid = tmp_path / "depths.yaml"
    grid.write_text("signature.depth: [1, 2, 3]\n")

    def interrupted_at_depth_2(config: ExperimentConfig, results: Path, progress: Progress):  # noqa: ANN202
        if config.signature.depth == 2:
            raise KeyboardInterrupt
        return fake_train(config, results, progress)

    monkeypatch.setattr(sweeps_base, "train_point", interrupted_at_depth_2)
    results = tmp_path / "r"
    code, output = sigbench("ablate", DEMO, "--grid", grid, "--results", results)
    assert code == 130
    assert "trained 1, already finished 0" in output
    assert (
        "interrupted grid depths at point 2 of 3 (signature.depth=2, seed 0), run demo-" in output
    )
    assert (
        "; 1 finished run kept, nothing half-written left; continue with: sigbench ablate" in output
    )
    assert len(rundir.finished_runs(results)) == 1 and rundir.unfinished_runs(results) == []


def test_print_config_shows_the_resolved_yaml_and_run_ids_and_trains_nothing(
    tmp_path: Path, trains: list[str]
) -> None:
    code, output = sigbench("train", DEMO, *QUICK, "--seeds", "2", "--print-config", "-r", tmp_path)
    config = load_config(DEMO, ["train.epochs=5"])
    assert code == 0 and "signature: depth: 4" in output and "epochs: 5" in output
    assert f"{config.run_id()} seed 0" in output and "seed 1" in output
    code, output = sigbench("ablate", "--grid", "depth", "--print-config", "-r", tmp_path)
    assert code == 0 and output.count("point ") == 10 and "(train.batch_size=1024, " in output
    space = REPO / "configs" / "spaces" / "imagesig.yaml"
    code, output = sigbench("tune", DEMO, "--space", space, "-n", "3", "--print-config")
    assert code == 0 and "the base config; each trial's run id follows" in output
    assert trains == [] and not tmp_path.joinpath("runs").exists()


def test_ablate_takes_config_as_argument_or_option_and_models_restricts_the_models_grid(
    tmp_path: Path,
) -> None:
    code, output = sigbench(
        "ablate", DEMO, "--grid", "models", "--models", "imagesig_fc,resnet18",
        "--models", "imagesig_conv", "--print-config",
    )  # fmt: skip
    assert code == 0 and output.count("point ") == 3
    assert 'point 1 of 3 (model.kind="imagesig_fc"' in output
    assert 'point 3 of 3 (model.kind="imagesig_conv"' in output
    code, same = sigbench("ablate", "--config", DEMO, "--grid", "models", "--print-config")
    assert code == 0 and "point 1 of " in same
    with pytest.raises(Exception, match="give one of them"):
        sigbench("ablate", DEMO, "--config", tmp_path / "x.yaml", "--grid", "depth")
    with pytest.raises(Exception, match=r"--models 'resnet9': not a model kind; choose from "):
        sigbench("ablate", "--grid", "models", "--models", "resnet9", "--print-config")
    with pytest.raises(Exception, match="--models restricts a grid over model.kind"):
        sigbench("ablate", "--grid", "depth", "--models", "resnet18", "--print-config")


def test_list_options_take_commas_and_choices_name_the_allowed_ones() -> None:
    code, output = sigbench("train", DEMO, "--track", "tensorboard,nope", "--print-config")
    assert code == 2 and "'nope' is not one of mlflow, tensorboard" in output
    code, output = sigbench("tune", DEMO, "--space", "x.yaml", "-n", "1", "--metric", "val_f1")
    assert code == 2 and "val_acc" in output and "val_hter" in output


def test_version() -> None:
    from sigbench import __version__

    assert sigbench("--version") == (0, f"sigbench {__version__}")
