"""The models sweep's head-to-head table: accuracy beside every cost figure, and its plot."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sigbench.config import load_config
from sigbench.models import list_models
from sigbench.reporting.report import write_report
from sigbench.runs import rundir
from sigbench.sweeps.executors import SerialExecutor
from sigbench.sweeps.grids import BUILTIN_GRIDS
from sigbench.sweeps.scheduler import expand_grid, record_grid, run_grid
from tests.helpers.fake_runs import fake_train

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def test_models_table_has_the_cost_columns_and_a_latency_plot(tmp_path: Path) -> None:
    points = expand_grid(load_config(DEMO, ["data.classes=[a, b]"]), BUILTIN_GRIDS["models"])
    record_grid(tmp_path, BUILTIN_GRIDS["models"], points, config=str(DEMO))
    run_grid(points, tmp_path, SerialExecutor(fake_train))
    for rank, point in enumerate(points, start=1):
        path = rundir.runs_dir(tmp_path) / point.run_id / rundir.METRICS_FILE
        metrics = json.loads(path.read_text())
        metrics.update(flops_per_image=1000 * rank, latency_ms=0.1 * rank, images_per_s=900.5)
        path.write_text(json.dumps(metrics))

    write_report(tmp_path)
    with (tmp_path / "tables" / "models.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "model", "n_seeds", "acc_mean", "acc_std", "acc_ci95_low", "acc_ci95_high",
        "f1_macro_mean", "f1_macro_std", "f1_macro_ci95_low", "f1_macro_ci95_high",
        "hter_mean", "hter_std", "hter_ci95_low", "hter_ci95_high", "params", "weights_kb",
        "flops", "train_time_min", "latency_ms", "images_per_s", "run_ids",
    ]  # fmt: skip
    assert [row["model"] for row in rows] == list_models()
    assert rows[1]["flops"] == "2000" and rows[1]["latency_ms"] == "0.2"
    assert (tmp_path / "tables" / "models_latency.png").stat().st_size > 0
