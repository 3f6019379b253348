"""``sigbench ablate`` and ``report`` end to end on the built-in digits, as a user runs them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sigbench.cli import app
from sigbench.runs import rundir

REPO = Path(__file__).resolve().parents[2]
DEMO = str(REPO / "configs" / "demo.yaml")

pytestmark = pytest.mark.e2e


def ablate(results: Path, *args: str) -> str:
    outcome = CliRunner().invoke(
        app, ["ablate", "--config", DEMO, "--results", str(results), *args], catch_exceptions=False
    )
    assert outcome.exit_code == 0, outcome.output
    return outcome.output


def test_depth_grid_writes_table4_and_a_second_call_trains_nothing(tmp_path: Path) -> None:
    output = ablate(tmp_path, "--grid", "depth", "--set", "train.epochs=2")
    assert "trained 10, already finished 0" in output
    with (tmp_path / "tables" / "depth.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 10
    assert {(r["batch_size"], r["depth"]) for r in rows} == {
        (b, str(d)) for b in ("1024", "3000") for d in range(1, 6)
    }
    assert all(0 <= float(r["acc_mean"]) <= 100 and r["paper_acc"] for r in rows)
    runs = rundir.finished_runs(tmp_path)

    output = ablate(tmp_path, "--grid", "depth", "--set", "train.epochs=2")
    assert "trained 0, already finished 10" in output
    assert rundir.finished_runs(tmp_path) == runs
    report = CliRunner().invoke(app, ["report", "--results", str(tmp_path)])
    assert report.exit_code == 0 and "depth (10 points, 10 runs)" in report.output


def test_ablate_analysis_draws_every_trained_runs_pictures(tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("signature.depth: [2, 3]\n")
    settings = ("--set", "train.epochs=2", "--jobs", "2")
    output = ablate(tmp_path, "--grid", str(grid), *settings, "--analysis")
    assert "trained 2" in output
    runs = rundir.finished_runs(tmp_path)
    assert len(runs) == 2
    for run in runs:
        assert (run / "analysis" / "confusion_matrix.png").is_file()


@pytest.mark.slow
def test_seeds_train_once_each_and_tables_carry_intervals_and_the_claim(tmp_path: Path) -> None:
    settings = ("--grid", "batch_size", "--set", "train.epochs=1")
    output = ablate(tmp_path, *settings, "--seeds", "2")
    assert "5 points x 2 seeds = 10 runs" in output and "trained 10, already finished 0" in output
    assert "trained 0, already finished 10" in ablate(tmp_path, *settings, "--seeds", "2")
    assert "trained 5, already finished 10" in ablate(tmp_path, *settings, "--seeds", "3")
    with (tmp_path / "tables" / "batch_size.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5 and {r["n_seeds"] for r in rows} == {"3"}
    for row in rows:
        low, mean, high = (float(row[f"acc_{k}"]) for k in ("ci95_low", "mean", "ci95_high"))
        assert low <= mean <= high and float(row["acc_std"]) >= 0
        assert len(row["run_ids"].split()) == 3
    runs = rundir.finished_runs(tmp_path)
    assert len(runs) == 15
    metrics = rundir.read_metrics(runs[0])
    assert metrics["accuracy_ci95"][0] <= metrics["accuracy"] <= metrics["accuracy_ci95"][1]
    labels, predicted = rundir.read_predictions(runs[0])
    assert len(labels) == len(predicted) == metrics["n_test"]
    assert (labels == predicted).mean() == pytest.approx(metrics["accuracy"])
    claims = (tmp_path / "tables" / "batch_size_claims.md").read_text()
    assert "Table 3: accuracy rises with batch size" in claims and "over 15 runs" in claims
    assert "Verdict: **" in claims

    # `train --seeds` on a grid point's config finds the grid's runs: nothing to train.
    trained = CliRunner().invoke(
        app,
        ["train", DEMO, "--results", str(tmp_path), "--seeds", "3",
         "--set", "train.epochs=1", "--set", "train.batch_size=64"],
        catch_exceptions=False,
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "trained 0, already finished 3" in trained.output
    assert "over 3 seeds" in trained.output and "±" in trained.output


def test_one_point_and_one_seed_are_written_in_the_singular(tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("signature.depth: [2]\n")
    output = ablate(tmp_path, "--grid", str(grid), "--set", "train.epochs=1")
    assert "grid grid: 1 point x 1 seed = 1 run from" in " ".join(output.split())


def test_seeds_tables_show_accuracy_in_percent_with_the_grid_tables_decimals(
    tmp_path: Path,
) -> None:
    trained = CliRunner().invoke(
        app,
        ["train", DEMO, "--results", str(tmp_path), "--seeds", "1",
         "--set", "train.epochs=1", "--set", "signature.depth=2"],
        catch_exceptions=False,
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    [run] = rundir.finished_runs(tmp_path)
    percent = f"{100 * rundir.read_metrics(run)['accuracy']:.2f}"
    rows = [line for line in trained.output.splitlines() if line.startswith("│")]
    per_seed = next(line for line in rows if run.name in line)
    assert per_seed.split("│")[2].strip() == percent  # seed, accuracy (%), ...
    std = next(line for line in rows if "accuracy std" in line)
    assert std.split("│")[2].strip() == "-"  # one seed: no spread, and no "None"
