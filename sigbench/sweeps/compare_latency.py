"""A comparison's one interleaved timing: every model's timed run (its first finished seed)
timed side by side by ``bench inference``'s code, written to ``latency.json`` beside the table.

Each run times itself when it finishes, but at its own moment, under whatever load the machine
had then; a comparison of speeds (and the frontier drawn from them) needs the models timed
together, so that load falls on all of them alike. The table's ``latency_ms`` is the timing's
``model_p50_ms`` (one decoded image through the run's inference pipeline on one thread, the
median, as the run's own figure) and ``images_per_s`` its batch figure on the threads the
runs trained with. The file is reused as long as it timed exactly the runs the comparison
would time now: a finished comparison run again is not timed again; a changed chosen run, a
new model or a missing file time every model again.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sigbench.progress import Progress
from sigbench.reporting.compare import ModelResult
from sigbench.runs import rundir

LATENCY_FILE = "latency.json"
# The bench row's figures kept per model (the rest is the same for every model or per round).
KEPT = (
    "run_id", "file_kb", "decode_ms", "latency_p50_ms", "latency_p95_ms", "model_p50_ms",
    "model_p95_ms", "images_per_s",
)  # fmt: skip


def timed_runs(models: list[ModelResult]) -> dict[str, Path]:
    """Model kind -> the run to time, for the models with a finished final run."""
    return {model.kind: run for model in models if (run := model.timed_run) is not None}


def read_timing(folder: Path) -> dict[str, Any] | None:
    """``latency.json`` of a comparison, or None where there is none (or it is unreadable:
    it is timed again)."""
    try:
        record = json.loads((folder / LATENCY_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("models"), dict) else None


def current_timing(folder: Path, runs: dict[str, Path]) -> dict[str, Any] | None:
    """The written timing if it timed exactly ``runs`` (the same models, the same runs)."""
    record = read_timing(folder)
    if record is None:
        return None
    timed = {kind: entry.get("run_id") for kind, entry in record["models"].items()}
    return record if timed == {kind: run.name for kind, run in runs.items()} else None


def with_latency(models: list[ModelResult], record: dict[str, Any] | None) -> list[ModelResult]:
    """The models with the timing's figures (each model's own run's: ``model_p50_ms`` and
    ``images_per_s``); unchanged without a current timing."""
    if record is None:
        return models
    timed = record["models"]
    return [
        replace(
            model,
            latency_ms=timed[model.kind]["model_p50_ms"],
            images_per_s=timed[model.kind]["images_per_s"],
        )
        if model.kind in timed
        else model
        for model in models
    ]


def time_models(
    runs: dict[str, Path], folder: Path, threads: int | None, progress: Progress
) -> dict[str, Any]:
    """Time ``runs`` side by side (the torch models only; exports are ``bench inference``'s
    business) and write ``latency.json`` atomically: an interrupted timing leaves the old
    file, or none. ``threads``: the batch figure's (None: torch's current setting, as a run
    without ``train.num_threads`` used)."""
    import torch

    from sigbench.experiments.exports import time_runs
    from sigbench.export.bench import BATCH, ROUNDS

    kinds = {run.name: kind for kind, run in runs.items()}
    timing = time_runs(
        list(runs.values()),
        threads=threads or torch.get_num_threads(),
        exports=False,
        description=f"timing {len(runs)} models side by side",
        progress=progress,
    )
    record = {
        "written": time.strftime("%Y-%m-%d %H:%M:%S"),
        "rounds": ROUNDS,
        "batch": BATCH,
        "threads": timing.threads,
        "load_before": list(timing.load_before),
        "load_after": list(timing.load_after),
        "seconds": timing.seconds,
        "models": {kinds[row["run_id"]]: {key: row[key] for key in KEPT} for row in timing.rows},
        "per_round": [
            {"model": kinds[row["run_id"]], **{k: v for k, v in row.items() if k != "variant"}}
            for row in timing.rounds
        ],
    }
    rundir.write_json_atomic(folder / LATENCY_FILE, record)
    return record


def timing_line(record: dict[str, Any] | None, timed_now: bool) -> str:
    """What the CLI says about the latency columns."""
    if record is None:
        return (
            "latency: empty; no timing covers these runs yet (the models are timed side by "
            "side once every model's seeds have finished)"
        )
    load = f"load {record['load_before'][0]} -> {record['load_after'][0]}"
    how = (
        f"{len(record['models'])} models timed side by side, {record['rounds']} interleaved "
        f"rounds, batch figure on {record['threads']} threads, {load}"
    )
    if timed_now:
        return f"latency: {how}; wrote {LATENCY_FILE}"
    return (
        f"latency: the timing of {record['written']} ({how}) already covers these runs; "
        f"delete {LATENCY_FILE} to time them again"
    )
