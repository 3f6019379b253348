"""``sigbench compare`` end to end on the built-in digits with tiny studies: the outputs, a
re-run that trains nothing, more seeds that train only the new ones, kill -9 that loses no
finished run, and the errors a user hits first."""

from __future__ import annotations

import csv
import json
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

pytestmark = pytest.mark.e2e

DEMO = REPO / "configs" / "demo.yaml"
TINY = ("--models", "logistic,imagesig_fc", "--trials", "2", "--set", "train.epochs=2")


def table(results: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((results / "compare" / "demo" / "table.csv").open()))


def check_latency_is_the_side_by_side_timing(results: Path) -> dict:
    """latency.json timed both models' seed-0 runs in interleaved rounds, and the table's
    latency_ms / images_per_s are its figures, not the runs' own."""
    timing = json.loads((results / "compare" / "demo" / "latency.json").read_text())
    assert sorted(timing["models"]) == ["imagesig_fc", "logistic"]
    assert timing["threads"] >= 1 and len(timing["load_before"]) == len(timing["load_after"]) == 3
    rounds = [(entry["model"], entry["round"]) for entry in timing["per_round"]]
    assert sorted(rounds) == sorted(
        (kind, n) for kind in timing["models"] for n in range(1, timing["rounds"] + 1)
    )
    for row in table(results):
        timed = timing["models"][row["model"]]
        run = rundir.runs_dir(results) / timed["run_id"]
        assert timed["run_id"] in row["run_ids"].split() and rundir.read_config(run).seed == 0
        assert float(row["latency_ms"]) == timed["model_p50_ms"] > 0
        assert float(row["images_per_s"]) == timed["images_per_s"] > 0
    return timing


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
    assert "latency: 2 models timed side by side, 5 interleaved rounds" in output
    timing = check_latency_is_the_side_by_side_timing(tmp_path)
    stamp = (folder / "latency.json").stat().st_mtime_ns

    done = run_cli("compare", DEMO, *TINY, "--seeds", "3", "--results", tmp_path)
    assert done.returncode == 0, done.stderr
    output = " ".join(done.stdout.split())
    assert "trained 2, already finished 4" in output  # new seeds only
    assert all(row["n_seeds"] == "3" for row in table(tmp_path))
    # the same seed-0 runs: not timed again, and the table keeps the timing's figures
    assert (folder / "latency.json").stat().st_mtime_ns == stamp
    assert f"the timing of {timing['written']}" in output and "already covers" in output
    assert check_latency_is_the_side_by_side_timing(tmp_path) == timing

    (folder / "latency.json").unlink()  # a missing timing: the runs are timed again, not trained
    done = run_cli("compare", DEMO, *TINY, "--seeds", "3", "--results", tmp_path)
    assert done.returncode == 0, done.stderr
    output = " ".join(done.stdout.split())
    assert "trained 0, already finished 6" in output and "models timed side by side" in output
    check_latency_is_the_side_by_side_timing(tmp_path)


@pytest.mark.slow
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
