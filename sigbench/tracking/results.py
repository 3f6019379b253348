"""Logging the runs of a results folder: a sweep's as it goes, or all of them at once.

``ablate --track`` logs each run under the grid's parent run (:func:`recorded_grid_sweep`)
as it is trained, then every finished point of the grid (those skipped as finished too):
the sweep runner (:func:`sigbench.sweeps.runner.run_sweep`) does both. ``report --track`` logs every
finished run, each recorded sweep's under its parent and the others on their own, so runs
that finished before tracking was switched on are logged afterwards. Runs a tracker has
already are left as they are: either can be run any number of times.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress
from sigbench.runs import rundir
from sigbench.runs.grid_records import GridRecord, read_grid_records
from sigbench.tracking import Tracking
from sigbench.tracking.record import TrackedSweep


def grid_sweep(record: GridRecord) -> TrackedSweep:
    """A grid sweep as trackers name it: the same grid, config and overrides, the same key."""
    what = json.dumps([record.name, record.config, record.overrides])
    params: dict[str, object] = {"grid.config": record.config}
    if record.overrides:
        params["grid.overrides"] = " ".join(record.overrides)
    for key in record.keys:
        values = list(dict.fromkeys(point["values"][key] for point in record.points))
        params[f"grid.{key}"] = json.dumps(values)
    key = hashlib.sha256(what.encode()).hexdigest()[:16]
    return TrackedSweep("grid", record.name, f"grid-{key}", params)


def _finished_points(results: Path, record: GridRecord) -> list[Path]:
    runs = [rundir.runs_dir(results) / point["run_id"] for point in record.points]
    return [run for run in runs if rundir.is_finished(run)]


def _log(
    tracking: Tracking, plan: list[tuple[Path, TrackedSweep | None]], progress: Progress
) -> None:
    with progress.task("tracking", total=len(plan)) as task:
        for run, sweep in plan:
            tracking.log(run, sweep)
            task.advance()


def recorded_grid_sweep(results: Path, name: str) -> TrackedSweep:
    """The parent a sweep of grid ``name`` over ``results`` logs its runs under (from its
    record, which the sweep writes first), so ``report --track`` later finds the same one."""
    record = next((r for r in read_grid_records(results) if r.name == name), None)
    if record is None:
        raise SigbenchError(f"{results}: no grid {name!r} was swept here")
    return grid_sweep(record)


def track_results(tracking: Tracking, progress: Progress = SILENT) -> None:
    """Log every finished run of ``tracking``'s results folder that a tracker lacks."""
    results = tracking.results
    plan: list[tuple[Path, TrackedSweep | None]] = []
    for record in read_grid_records(results):
        sweep = grid_sweep(record)
        plan.extend((run, sweep) for run in _finished_points(results, record))
    in_sweeps = {run.name for run, _ in plan}
    plan.extend((run, None) for run in rundir.finished_runs(results) if run.name not in in_sweeps)
    _log(tracking, plan, progress)
