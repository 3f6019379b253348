"""The scheduler: grid points from a base config, a record of each sweep, skip/lock/resume.

Every point is the base config with the grid's values set, so its run id (name + hash of the
resolved config) says whether it already ran: finished runs are skipped, runs a killed
process left half done are redone. ``grids/<grid>.json`` (:mod:`sigbench.runs.grid_records`)
lists a sweep's run ids so ``report`` can rebuild its table from the run folders alone. Two
processes sweeping the same results folder share the work: each run is trained under its
lock (:mod:`sigbench.runs.locks`), and points another process holds are skipped.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigbench.config import ExperimentConfig, validate_config
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress
from sigbench.runs import rundir
from sigbench.runs.grid_records import GridRecord, write_grid_record
from sigbench.runs.locks import RunLock, remove_dead_partials, try_lock
from sigbench.sweeps.executors import Executor
from sigbench.sweeps.grids import Grid
from sigbench.sweeps.seeds import with_seeds


@dataclass(frozen=True)
class GridPoint:
    """One run of a sweep: the grid values it sets and the seed it is trained at."""

    run_id: str
    values: dict[str, Any]
    config: ExperimentConfig
    seed: int = 0


def expand_grid(base: ExperimentConfig, grid: Grid, seeds: int | None = None) -> list[GridPoint]:
    """One validated config per combination of the grid's values, in key order, each at
    ``seeds`` seeds (default: the grid's ``seeds``) sharing its splits; deduplicated."""
    source = grid.source if grid.source != "built-in" else f"built-in grid {grid.name!r}"
    raw = base.model_dump(mode="json")
    points: dict[str, GridPoint] = {}
    for combination in itertools.product(*grid.axes.values()):
        values = dict(zip(grid.axes, combination, strict=True))
        overrides = [f"{key}={json.dumps(value)}" for key, value in values.items()]
        config = validate_config(raw, source, overrides)
        for point in seed_points(config, grid.seeds if seeds is None else seeds, values):
            points.setdefault(point.run_id, point)
    return list(points.values())


def seed_points(
    config: ExperimentConfig, seeds: int, values: dict[str, Any] | None = None
) -> list[GridPoint]:
    """``config`` at ``seeds`` seeds (:func:`~sigbench.sweeps.seeds.with_seeds`) as points
    the scheduler skips, locks and resumes like any other."""
    return [
        GridPoint(seeded.run_id(), dict(values or {}), seeded, seeded.seed)
        for seeded in with_seeds(config, seeds)
    ]


# --- the sweep record report reads -------------------------------------------------------


def record_grid(
    results: Path,
    grid: Grid,
    points: list[GridPoint],
    *,
    config: str,
    overrides: list[str] | None = None,
) -> Path:
    """Write (atomically) which runs make up ``grid``'s table; a later sweep replaces it."""
    record = GridRecord(
        name=grid.name,
        keys=list(grid.axes),
        points=[{"run_id": p.run_id, "values": p.values, "seed": p.seed} for p in points],
        paper_table=grid.paper_table,
        source=grid.source,
        config=config,
        overrides=list(overrides or []),
    )
    return write_grid_record(results, record)


# --- running a grid --------------------------------------------------------------------


@dataclass
class GridOutcome:
    trained: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # finished before this sweep
    busy: list[str] = field(default_factory=list)  # another process was training them
    failed: dict[str, str] = field(default_factory=dict)  # run id -> error message


def _is_finished(results: Path, run_id: str) -> bool:
    return rundir.is_finished(rundir.runs_dir(results) / run_id)


def _claim(results: Path, point: GridPoint, outcome: GridOutcome) -> RunLock | None:
    """Lock a point that still needs training; otherwise note why not and return None."""
    if _is_finished(results, point.run_id):
        outcome.skipped.append(point.run_id)
        return None
    lock = try_lock(results, point.run_id)
    if lock is None:
        outcome.busy.append(point.run_id)
        return None
    if _is_finished(results, point.run_id):  # finished while we were looking
        lock.release()
        outcome.skipped.append(point.run_id)
        return None
    remove_dead_partials(results, point.run_id)
    return lock


def _settle(future: Future, point: GridPoint, outcome: GridOutcome) -> bool:
    """A user error fails one point (e.g. a head too big for the image); a bug stops the grid.

    True when the point trained.
    """
    try:
        future.result()
    except SigbenchError as exc:
        outcome.failed[point.run_id] = str(exc)
        return False
    outcome.trained.append(point.run_id)
    return True


def run_grid(
    points: Iterable[GridPoint],
    results: Path,
    executor: Executor,
    progress: Progress = SILENT,
    *,
    name: str = "grid",
    on_trained: Callable[[GridPoint], object] | None = None,
) -> GridOutcome:
    """Train every point not finished yet, ``executor.slots`` at a time, each under its lock.

    ``on_trained(point)`` is called in this process as each point's run is published (the
    CLI logs it to the trackers there and then).

    On Ctrl-C or an unexpected error (a bug, which would repeat at every point) the executor
    abandons its runs (their partial folders are redone next time), the locks are released
    and the exception propagates; finished runs stay.
    """
    pending = deque(points)
    outcome = GridOutcome()
    running: dict[Future, tuple[GridPoint, RunLock]] = {}
    with progress.task(f"grid {name}", total=len(pending)) as bar:
        try:
            while pending or running:
                while pending and len(running) < executor.slots:
                    point = pending.popleft()
                    lock = _claim(results, point, outcome)
                    if lock is None:
                        bar.advance()
                        continue
                    bar.update(description=f"grid {name}: {point.run_id}")
                    try:
                        future = executor.submit(point.config, results, progress)
                    except BaseException:
                        lock.release()
                        raise
                    running[future] = (point, lock)
                if not running:
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    point, lock = running.pop(future)
                    lock.release()
                    if _settle(future, point, outcome) and on_trained is not None:
                        on_trained(point)
                    bar.advance()
        except BaseException:
            executor.stop()
            raise
        finally:
            for _, lock in running.values():
                lock.release()
    return outcome
