"""Report tables: paper columns, the paper's figures beside them, unfinished runs counted."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from scipy import stats

from sigbench.config import load_config
from sigbench.errors import SigbenchError
from sigbench.reporting.paper import PAPER_TABLES
from sigbench.reporting.report import write_report
from sigbench.runs import rundir
from sigbench.sweeps.executors import SerialExecutor
from sigbench.sweeps.grids import BUILTIN_GRIDS, Grid
from sigbench.sweeps.scheduler import expand_grid, record_grid, run_grid
from tests.helpers.fake_runs import FAKE_HALF_WIDTH, fake_accuracy, fake_params, fake_train

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


def sweep(
    results: Path,
    grid: Grid,
    overrides: list[str] | None = None,
    skip: int = 0,
    seeds: int | None = None,
) -> list:
    """Record and run ``grid`` on fake runs, leaving its first ``skip`` points untrained."""
    points = expand_grid(load_config(DEMO, overrides), grid, seeds)
    record_grid(results, grid, points, config=str(DEMO), overrides=overrides)
    run_grid(points[skip:], results, SerialExecutor(fake_train))
    return points


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_depth_table_has_the_paper_columns_and_table4_beside_them(tmp_path: Path) -> None:
    points = sweep(tmp_path, BUILTIN_GRIDS["depth"])
    report = write_report(tmp_path)
    rows = read_csv(tmp_path / "tables" / "depth.csv")
    assert list(rows[0]) == [
        "model", "resolution", "depth", "neurons", "batch_size", "n_seeds",
        "acc_mean", "acc_std", "acc_ci95_low", "acc_ci95_high", "paper_acc", "params",
        "model_size_kb", "train_time_min", "paper_train_time_min", "weights_kb",
        "f1_macro_mean", "f1_macro_std", "f1_macro_ci95_low", "f1_macro_ci95_high", "run_ids",
    ]  # fmt: skip
    assert len(rows) == 10 and report.unfinished == []
    by_setting = {(r["batch_size"], r["depth"]): r for r in rows}
    row = by_setting["3000", "4"]
    assert row["paper_acc"] == "93.4" and row["paper_train_time_min"] == "4.47"
    accuracy = 100 * fake_accuracy(points[8].config)
    assert float(row["acc_mean"]) == pytest.approx(accuracy, abs=0.01)
    # One seed: the interval is the run's bootstrap interval, and there is no spread.
    assert row["n_seeds"] == "1" and row["acc_std"] == ""
    assert float(row["acc_ci95_low"]) == pytest.approx(accuracy - 100 * FAKE_HALF_WIDTH)
    assert float(row["acc_ci95_high"]) == pytest.approx(accuracy + 100 * FAKE_HALF_WIDTH)
    assert row["model_size_kb"] == "4.5" and row["train_time_min"] == "2.0"
    assert row["run_ids"] == points[8].run_id
    for name in ("depth.md", "depth.png", "acc_vs_params.png"):
        assert (tmp_path / "tables" / name).stat().st_size > 0
    assert not list((tmp_path / "tables").glob(".*"))  # no temporary files left


def test_seeds_make_one_row_per_point_with_a_t_interval_over_them(tmp_path: Path) -> None:
    points = sweep(tmp_path, BUILTIN_GRIDS["batch_size"], seeds=3)
    assert len(points) == 15
    rows = read_csv(write_report(tmp_path).files[0])
    assert len(rows) == 5 and {r["n_seeds"] for r in rows} == {"3"}
    row = rows[2]  # batch 256, seeds 0, 1, 2
    accuracies = [100 * fake_accuracy(p.config) for p in points[6:9]]
    low, high = stats.t.interval(0.95, df=2, loc=sum(accuracies) / 3, scale=stats.sem(accuracies))
    assert float(row["acc_mean"]) == pytest.approx(sum(accuracies) / 3, abs=0.005)
    assert float(row["acc_std"]) == pytest.approx(0.1, abs=0.005)  # seeds 0.1 points apart
    assert float(row["acc_ci95_low"]) == pytest.approx(low, abs=0.005)
    assert float(row["acc_ci95_high"]) == pytest.approx(high, abs=0.005)
    assert row["run_ids"].split() == [p.run_id for p in points[6:9]]
    markdown = (tmp_path / "tables" / "batch_size.md").read_text()
    half = (high - low) / 2
    assert f"| 3 | {sum(accuracies) / 3:.2f} ± {half:.2f} | 90.36 |" in markdown
    assert "t-interval over the point's seeds" in markdown
    claims = (tmp_path / "tables" / "batch_size_claims.md").read_text()
    assert "## Table 3: accuracy rises with batch size." in claims
    # The fake's accuracy ignores the batch size: no trend in either direction.
    assert "rho = +0.00 over 15 runs (5 batch sizes)" in claims
    assert "Verdict: **not distinguishable at this sample size**" in claims


def test_one_seed_claims_compare_saved_predictions_with_mcnemar(tmp_path: Path) -> None:
    sweep(tmp_path, BUILTIN_GRIDS["depth"])
    report = write_report(tmp_path)
    assert [c.verdict for c in report.claims["depth"]][0] == "reproduced"
    claims = (tmp_path / "tables" / "depth_claims.md").read_text()
    # Each depth adds 5 points (100 more of 2,000 images right): McNemar p is tiny.
    assert "| batch 1024: depth 2 vs 1 | +5.00 points, 95% CI [" in claims
    assert "one seed, 2000 test images; McNemar exact p = " in claims
    assert "| +5.72 points (89.17 vs 83.45) | reproduced |" in claims
    # Batch size changes nothing in the fake: identical predictions, p = 1.
    assert "| depth 3: batch 3000 vs 1024 | +0.00 points, 95% CI [+0.00, +0.00]" in claims
    assert "Verdict: **reproduced**" in claims
    assert "Verdict: **not distinguishable at this sample size**" in claims


def test_neurons_table_matches_table2_settings_only(tmp_path: Path) -> None:
    sweep(tmp_path, BUILTIN_GRIDS["neurons"])
    rows = read_csv(write_report(tmp_path).files[0])
    row = next(r for r in rows if r["resolution"] == "64" and r["neurons"] == "150")
    assert row["paper_params"] == "1152452" and row["paper_model_size_kb"] == "13857"
    config = load_config(DEMO, ["data.image_size=64", "model.neurons=150"])
    assert row["params"] == str(fake_params(config)) == "1152452"  # the fake uses the formula
    # At depth 3 no Table 2 row matches: the paper columns stay empty.
    sweep(tmp_path, BUILTIN_GRIDS["neurons"], ["signature.depth=3"])
    rows = read_csv(write_report(tmp_path).files[0])
    assert {r["paper_acc"] for r in rows} == {""}


def test_unfinished_runs_are_left_out_and_counted(tmp_path: Path) -> None:
    points = sweep(tmp_path, BUILTIN_GRIDS["batch_size"], skip=2)
    rundir.partial_dir(tmp_path, points[0].run_id)  # a killed run's leftovers
    report = write_report(tmp_path)
    assert report.unfinished == sorted(p.run_id for p in points[:2])
    assert len(read_csv(tmp_path / "tables" / "batch_size.csv")) == 3
    markdown = (tmp_path / "tables" / "batch_size.md").read_text()
    assert f"2 runs unfinished: {points[0].run_id}, {points[1].run_id}" in markdown
    assert "| imagesig_fc | 8 | 4 | 50 | 256 | 1 |" in markdown  # batch 256: third point
    assert "Table 3: batch size" in markdown


def test_custom_grid_gets_its_keys_as_columns_and_hter_when_binary(tmp_path: Path) -> None:
    grid = Grid("smoothing", {"train.label_smoothing": [0.0, 0.1]}, source="smoothing.yaml")
    sweep(tmp_path, grid, ["data.classes=['0', '1']"])
    write_report(tmp_path)
    rows = read_csv(tmp_path / "tables" / "smoothing.csv")
    assert list(rows[0])[:2] == ["model", "train.label_smoothing"]
    assert [r["train.label_smoothing"] for r in rows] == ["0.0", "0.1"]
    assert "hter_mean" in rows[0] and "paper_acc" not in rows[0]
    assert not (tmp_path / "tables" / "smoothing_claims.md").exists()  # no paper claim


def test_report_without_sweeps_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(SigbenchError, match="no sweeps recorded; run `sigbench ablate"):
        write_report(tmp_path)


def test_paper_tables_match_the_brief() -> None:
    table2 = {tuple(r.setting.values())[1:]: r.figures for r in PAPER_TABLES["table2"].rows}
    assert table2[32, 4, 50]["params"] == 192_152 and table2[64, 4, 50]["params"] == 384_152
    assert table2[32, 4, 25]["params"] == 96_077
    table4 = [r.figures["acc"] for r in PAPER_TABLES["table4"].rows]
    assert table4[4] == 92.18 and table4[9] == 93.78


def _trained_on(n_train: int):
    """``fake_train`` whose runs say they had ``n_train`` training samples."""

    def train(config, results: Path, progress) -> Path:
        run = fake_train(config, results, progress)
        metrics = rundir.read_metrics(run)
        rundir.write_json_atomic(run / rundir.METRICS_FILE, {**metrics, "n_train": n_train})
        return run

    return train


@pytest.mark.parametrize(("n_train", "full"), [(2000, {"3000"}), (800, {"1024", "3000"})])
def test_full_batch_points_are_marked_and_not_compared(
    tmp_path: Path, n_train: int, full: set[str]
) -> None:
    grid = BUILTIN_GRIDS["depth"]
    points = expand_grid(load_config(DEMO), grid)
    record_grid(tmp_path, grid, points, config=str(DEMO))
    run_grid(points, tmp_path, SerialExecutor(_trained_on(n_train)))
    write_report(tmp_path)
    rows = read_csv(tmp_path / "tables" / "depth.csv")
    assert list(rows[0])[4:6] == ["batch_size", "full_batch"]
    assert {r["batch_size"] for r in rows if r["full_batch"] == "yes"} == full
    assert all(r["full_batch"] == "" for r in rows if r["batch_size"] not in full)
    claims = (tmp_path / "tables" / "depth_claims.md").read_text()
    same = f"batch 3000 and 1024 are both one full batch of the {n_train:,} training samples"
    both = full == {"1024", "3000"}
    assert (same in claims) == both
    if both:  # fake accuracies ignore the batch size: only a real comparison shows +0.00
        assert "batch 3000 vs 1024 | +0.00" not in claims
