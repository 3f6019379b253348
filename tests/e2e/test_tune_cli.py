"""``sigbench tune`` as a user runs it: a bad space stops at once; kill -9 and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("optuna", reason="the tune extra: pip install 'sigbench[tune]'")

import optuna
import sqlalchemy

from tests.helpers.cli import REPO, RunCli, one_error_line

pytestmark = pytest.mark.e2e

SPACE = "configs/spaces/imagesig.yaml"


def test_a_space_with_an_unknown_key_stops_with_one_line_before_training(
    run_cli: RunCli, tmp_path: Path
) -> None:
    space = tmp_path / "space.yaml"
    space.write_text("signature.depth: [3, 4]\nmodel.neuron: {low: 16, high: 64}\n")
    done = run_cli(
        "tune", "configs/demo.yaml", "--space", space, "--trials", "4", "--results", tmp_path
    )
    line = one_error_line(done)  # status 2, no traceback, one line
    assert line.startswith(f"error: {space}: unknown key 'model.neuron'")
    assert "allowed here: " in line
    assert not (tmp_path / "runs").exists() and not (tmp_path / "tune").exists()


ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def start(results: Path, trials: int, *extra: str, **pipes: object) -> subprocess.Popen:
    """``sigbench tune`` on the demo in a child process, as a user would start it."""
    command = [
        sys.executable, "-m", "sigbench", "tune", "configs/demo.yaml", "--space", SPACE,
        "--trials", str(trials), *extra, "--results", str(results),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=REPO, env=ENV, text=True, **pipes)


def finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return [t for t in study.get_trials() if t.state.is_finished() and t.state.name != "FAIL"]


@pytest.mark.slow
def test_kill_9_loses_no_finished_trial_and_the_same_command_finishes_the_study(
    run_cli: RunCli, tmp_path: Path
) -> None:
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    db = tmp_path / "tune" / "demo-imagesig" / "study.db"
    process = start(tmp_path, 6, "--set", "train.epochs=4", **quiet)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if not (db.parent / "trials.csv").exists():  # the study is whole once a trial ended
                continue  # (loading it earlier would create its tables, racing the child)
            try:
                study = optuna.load_study(study_name="demo-imagesig", storage=f"sqlite:///{db}")
            except (KeyError, sqlalchemy.exc.OperationalError):  # not created yet
                continue
            last = study.get_trials()[-1]
            # Killed once all its values are drawn (a trial is RUNNING before they are; its
            # run_id is stamped after the last one).
            running = last.state.name == "RUNNING" and "run_id" in last.user_attrs
            if len(finished(study)) >= 2 and running:
                break
        assert process.poll() is None, "tune ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    before = {t.number: t.user_attrs["run_id"] for t in finished(study)}
    killed = study.get_trials()[-1]
    stamps = {
        run_id: (tmp_path / "runs" / run_id / "metrics.json").stat().st_mtime_ns
        for number, run_id in before.items()
        if study.get_trials()[number].state.name == "COMPLETE"
    }
    again = start(tmp_path, 6, "--set", "train.epochs=4", stderr=subprocess.PIPE)
    _, stderr = again.communicate(timeout=600)
    assert again.returncode == 0, stderr
    study = optuna.load_study(study_name="demo-imagesig", storage=f"sqlite:///{db}")
    assert len(finished(study)) == 6
    trials = study.get_trials()
    # The finished trials are kept as they were, their runs not trained again.
    for number, run_id in before.items():
        assert trials[number].state.is_finished() and trials[number].user_attrs["run_id"] == run_id
    for run_id, stamp in stamps.items():
        assert (tmp_path / "runs" / run_id / "metrics.json").stat().st_mtime_ns == stamp
    # The trial killed mid-run was marked failed and redone with the same values.
    assert trials[killed.number].state.name == "FAIL"
    redone = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number]
    assert len(redone) == 1 and redone[0].params == killed.params
    assert redone[0].state.is_finished() and redone[0].state.name != "FAIL"
    rows = (tmp_path / "tune" / "demo-imagesig" / "trials.csv").read_text().splitlines()
    assert len(rows) == 1 + len(trials)
    # best.yaml is a config `sigbench train` accepts.
    best = tmp_path / "tune" / "demo-imagesig" / "best.yaml"
    trained = run_cli("train", best, "--set", "train.epochs=1", "--results", tmp_path / "b")
    assert trained.returncode == 0, trained.stderr


@pytest.mark.slow
def test_two_processes_on_one_study_share_it_and_stop_at_the_trials_asked(
    tmp_path: Path,
) -> None:
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    extra = ("--set", "train.epochs=3", "--study", "shared")
    both = [start(tmp_path, 4, *extra, **pipes) for _ in range(2)]
    outputs = [process.communicate(timeout=600) for process in both]
    assert [process.returncode for process in both] == [0, 0], outputs
    db = tmp_path / "tune" / "shared" / "study.db"
    study = optuna.load_study(study_name="shared", storage=f"sqlite:///{db}")
    assert [t.state.name for t in study.get_trials()].count("FAIL") == 0
    assert len(finished(study)) == 4 == len(study.get_trials())
