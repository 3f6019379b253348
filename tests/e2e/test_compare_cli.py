"""``sigbench compare`` end to end on the built-in digits with tiny studies: the outputs, a
re-run that trains nothing, more seeds that train only the new ones, kill -9 that loses no
finished run, and the errors a user hits first."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("optuna", reason="the tune extra: pip install 'sigbench[tune]'")

from sigbench.runs import rundir
from tests.helpers.cli import REPO, RunCli, one_error_line

DEMO = REPO / "configs" / "demo.yaml"
TINY = ("--models", "logistic,imagesig_fc", "--trials", "2", "--set", "train.epochs=2")


def table(results: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((results / "compare" / "demo" / "table.csv").open()))


def test_compare_writes_its_outputs_and_reuses_finished_runs(
    run_cli: RunCli, tmp_path: Path
) -> None:
    done = run_cli("compare", DEMO, *TINY, "--seeds", "2", "--results", tmp_path)
    assert done.returncode == 0, done.stderr
    output = " ".join(done.stdout.split())
    # 2 trials per model, then seed 0 (the best trial's own run) and seed 1
    assert "trained 6, already finished 2" in output
    rows = table(tmp_path)
    assert sorted(row["model"] for row in rows) == ["imagesig_fc", "logistic"]
    assert all(row["n_seeds"] == "2" and row["trials"] == "2" for row in rows)
    for row in rows:
        for run_id in row["run_ids"].split():
            assert rundir.is_finished(rundir.runs_dir(tmp_path) / run_id)
    folder = tmp_path / "compare" / "demo"
    assert "Holm-corrected" in (folder / "tests.md").read_text()
    assert "\\begin{tabular}" in (folder / "table.tex").read_text()
    assert (folder / "pareto.png").stat().st_size > 0 and (folder / "compare.yaml").is_file()
    assert "Best test accuracy: " in output

    done = run_cli("compare", DEMO, *TINY, "--seeds", "3", "--results", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "trained 2, already finished 4" in " ".join(done.stdout.split())  # new seeds only
    assert all(row["n_seeds"] == "3" for row in table(tmp_path))


def test_kill_9_loses_no_finished_run_and_the_same_command_finishes(
    run_cli: RunCli, tmp_path: Path
) -> None:
    args = ["compare", str(DEMO), *TINY, "--seeds", "1", "--results", str(tmp_path)]
    process = subprocess.Popen(
        [sys.executable, "-m", "sigbench", *args], cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and len(rundir.finished_runs(tmp_path)) < 2:
            time.sleep(0.2)  # logistic's study done: killed in imagesig_fc's
        assert process.poll() is None, "compare ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    stamps = {
        run: (run / "metrics.json").stat().st_mtime_ns for run in rundir.finished_runs(tmp_path)
    }
    assert len(stamps) >= 2
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    for run, stamp in stamps.items():
        assert (run / "metrics.json").stat().st_mtime_ns == stamp  # not trained again
    assert sorted(row["model"] for row in table(tmp_path)) == ["imagesig_fc", "logistic"]
    assert rundir.unfinished_runs(tmp_path) == []


def test_compare_refuses_bad_settings_in_one_line_before_training(
    run_cli: RunCli, tmp_path: Path
) -> None:
    line = one_error_line(run_cli("compare", DEMO, "--results", tmp_path))
    assert "--models: name the model kinds to compare" in line
    spec = tmp_path / "c.yaml"
    spec.write_text(
        f"config: {DEMO}\nmodels: [logistic]\nper_model:\n  logistic:\n    train.epochs: 3\n"
    )
    line = one_error_line(run_cli("compare", spec, "--results", tmp_path))
    assert f"{spec}: per_model.logistic.train.epochs: every model trains under the same" in line
    line = one_error_line(run_cli("compare", DEMO, "--models", "resnet9", "-r", tmp_path))
    assert "compare: models: 'resnet9' is not a model kind; choose from imagesig_fc," in line
    assert not rundir.runs_dir(tmp_path).exists()
