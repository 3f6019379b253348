"""``sigbench compare`` end to end on the built-in digits with tiny studies: the outputs, a
re-run that trains nothing, more seeds that train only the new ones, and the errors a user
hits first."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from sigbench.cli import app
from sigbench.runs import rundir

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


def compare(results: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["compare", str(DEMO), "--models", "imagesig_fc,logistic", "--trials", "2",
         "--set", "train.epochs=2", "--results", str(results), *args],
    )  # fmt: skip
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split())


def test_compare_writes_its_outputs_and_reuses_finished_runs(tmp_path: Path) -> None:
    code, output = compare(tmp_path, "--seeds", "2")
    assert code == 0, output
    # 2 trials per model, then seed 0 (the best trial's own run) and seed 1
    assert "trained 6, already finished 2" in output
    folder = tmp_path / "compare" / "demo"
    rows = list(csv.DictReader((folder / "table.csv").open()))
    assert sorted(row["model"] for row in rows) == ["imagesig_fc", "logistic"]
    assert all(row["n_seeds"] == "2" and row["trials"] == "2" for row in rows)
    for row in rows:
        for run_id in row["run_ids"].split():
            assert rundir.is_finished(rundir.runs_dir(tmp_path) / run_id)
    assert "Holm-corrected" in (folder / "tests.md").read_text()
    assert "\\begin{tabular}" in (folder / "table.tex").read_text()
    assert (folder / "pareto.png").stat().st_size > 0 and (folder / "compare.yaml").is_file()
    assert "Best test accuracy: " in output

    code, output = compare(tmp_path, "--seeds", "3")
    assert code == 0 and "trained 2, already finished 4" in output  # only the new seeds
    rows = list(csv.DictReader((folder / "table.csv").open()))
    assert all(row["n_seeds"] == "3" for row in rows)


def test_compare_refuses_bad_settings_before_training(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["compare", str(DEMO), "--results", str(tmp_path)])
    assert result.exit_code != 0
    assert "--models: name the model kinds to compare" in " ".join(str(result.exception).split())
    spec = tmp_path / "c.yaml"
    spec.write_text(
        f"config: {DEMO}\nmodels: [logistic]\nper_model:\n  logistic:\n    train.epochs: 3\n"
    )
    result = CliRunner().invoke(app, ["compare", str(spec), "--results", str(tmp_path)])
    assert "per_model.logistic.train.epochs: every model trains under the same" in str(
        result.exception
    )
    assert not rundir.runs_dir(tmp_path).exists()
