"""Which runs a comparison times side by side, and when its ``latency.json`` still stands
(on made-up runs: ``fake_train``); the timing of two real tiny runs with its progress bar
(the table built from it is checked end to end in tests/e2e/test_compare_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("optuna", reason="the tune extra: pip install 'sigbench[tune]'")

from sigbench.config import validate_config
from sigbench.experiments.exports import export_run
from sigbench.export.bench import ROUNDS
from sigbench.progress import SILENT
from sigbench.reporting.compare import ModelResult
from sigbench.runs import rundir
from sigbench.sweeps.compare_latency import (
    LATENCY_FILE,
    current_timing,
    time_models,
    timed_runs,
    timing_line,
    with_latency,
)
from tests.helpers.fake_runs import fake_train
from tests.helpers.progress import RecordingProgress


def finished_run(results: Path, seed: int, depth: int) -> Path:
    config = validate_config({"seed": seed, "signature": {"depth": depth}}, "test")
    return fake_train(config, results, SILENT)


def written(folder: Path, runs: dict[str, Path]) -> dict:
    """A latency.json that timed ``runs``: model i at (i + 1) ms, 100 / (i + 1) images/s."""
    record = {
        "written": "2026-12-07 15:00:00", "rounds": 5, "threads": 2,
        "load_before": [1.0, 1.0, 1.0], "load_after": [1.5, 1.0, 1.0],
        "models": {
            kind: {"run_id": run.name, "model_p50_ms": i + 1.0, "images_per_s": 100 / (i + 1)}
            for i, (kind, run) in enumerate(runs.items())
        },
    }  # fmt: skip
    rundir.write_json_atomic(folder / LATENCY_FILE, record)
    return record


def test_each_model_is_timed_on_its_first_finished_seed(tmp_path: Path) -> None:
    seed_1 = finished_run(tmp_path, 1, 2)
    unfinished_seed_0 = rundir.runs_dir(tmp_path) / "not-finished"
    models = [
        ModelResult("a", [unfinished_seed_0, seed_1], trials=2, tuning_minutes=0.1),
        ModelResult("b", [finished_run(tmp_path, 0, 3), seed_1], trials=2, tuning_minutes=0.1),
        ModelResult("none", [unfinished_seed_0], trials=0, tuning_minutes=0.0),
    ]
    runs = timed_runs(models)
    assert runs == {"a": seed_1, "b": models[1].runs[0]}


def test_the_timing_stands_only_while_it_covers_exactly_the_runs_timed_now(
    tmp_path: Path,
) -> None:
    a, b, other = (finished_run(tmp_path, seed, 2) for seed in (0, 1, 2))
    folder = tmp_path / "compare" / "x"
    assert current_timing(folder, {"a": a}) is None  # no file
    record = written(folder, {"a": a, "b": b})
    assert current_timing(folder, {"a": a, "b": b}) == record
    assert current_timing(folder, {"a": a, "b": other}) is None  # b's chosen run changed
    assert current_timing(folder, {"a": a}) is None  # a model less
    assert current_timing(folder, {"a": a, "b": b, "c": other}) is None  # a model more
    (folder / LATENCY_FILE).write_text("{not json")
    assert current_timing(folder, {"a": a, "b": b}) is None  # unreadable: timed again


def test_the_models_take_the_timings_figures_and_the_cli_says_where_they_come_from(
    tmp_path: Path,
) -> None:
    a, b = finished_run(tmp_path, 0, 2), finished_run(tmp_path, 1, 2)
    models = [
        ModelResult(k, [run], trials=1, tuning_minutes=0.1) for k, run in (("a", a), ("b", b))
    ]
    record = written(tmp_path, {"a": a, "b": b})
    timed = with_latency(models, record)
    assert [(m.latency_ms, m.images_per_s) for m in timed] == [(1.0, 100.0), (2.0, 50.0)]
    assert with_latency(models, None) == models
    assert "2 models timed side by side, 5 interleaved rounds" in timing_line(record, True)
    assert "load 1.0 -> 1.5" in timing_line(record, True)
    assert "already covers these runs" in timing_line(record, False)
    assert timing_line(None, False).startswith("latency: empty")


def test_the_timing_times_each_torch_model_round_by_round_with_a_progress_bar(
    rgb_sig_run: Path, rgb_cnn_run: Path, tmp_path: Path
) -> None:
    export_run(rgb_sig_run, "torchscript")  # an export is bench inference's, not compare's
    progress = RecordingProgress()
    runs = {"imagesig_fc": rgb_sig_run, "simple_cnn": rgb_cnn_run}
    record = time_models(runs, tmp_path, 1, progress)
    (timing,) = [task for task in progress.tasks if task.description.startswith("timing")]
    assert timing.description == "timing 2 models side by side"
    assert timing.total == timing.done == 2 * ROUNDS
    assert record == current_timing(tmp_path, runs)  # written, and it stands for these runs
    assert record["threads"] == 1 and record["rounds"] == ROUNDS
    assert {kind: entry["run_id"] for kind, entry in record["models"].items()} == {
        kind: run.name for kind, run in runs.items()
    }
    assert sorted((r["model"], r["round"]) for r in record["per_round"]) == [
        (kind, n) for kind in sorted(runs) for n in range(1, ROUNDS + 1)
    ]
    for entry in record["models"].values():
        assert 0 < entry["model_p50_ms"] <= entry["model_p95_ms"] and entry["images_per_s"] > 0
