"""Sweeps: grid points from a base config, a record of each sweep, per-run locks, resume.

Every point is the base config with the grid's values set, so its run id (name + hash of the
resolved config) says whether it already ran: finished runs are skipped, runs a killed
process left half done are redone. ``grids/<grid>.json`` lists a sweep's run ids so
``report`` can rebuild its table from the run folders alone. Two processes sweeping the
same results folder share the work: each run is trained under an exclusive lock on
``runs/.lock-<run-id>``, and points another process holds are skipped.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import shutil
from collections import deque
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sigbench.config import ExperimentConfig, validate_config
from sigbench.errors import SigbenchError
from sigbench.experiments import rundir
from sigbench.experiments.executors import Executor
from sigbench.experiments.grids import Grid
from sigbench.progress import SILENT, Progress

LOCK_PREFIX = ".lock-"


@dataclass(frozen=True)
class GridPoint:
    run_id: str
    values: dict[str, Any]
    config: ExperimentConfig


def expand_grid(base: ExperimentConfig, grid: Grid) -> list[GridPoint]:
    """One validated config per combination of the grid's values, in key order, deduplicated."""
    from sigbench.models import list_models

    source = grid.source if grid.source != "built-in" else f"built-in grid {grid.name!r}"
    raw = base.model_dump(mode="json")
    points: dict[str, GridPoint] = {}
    for combination in itertools.product(*grid.axes.values()):
        values = dict(zip(grid.axes, combination, strict=True))
        overrides = [f"{key}={json.dumps(value)}" for key, value in values.items()]
        config = validate_config(raw, source, overrides)
        if config.model.kind not in list_models():
            raise SigbenchError(
                f"{source}: model.kind = {config.model.kind!r} is not a known model; "
                f"choose one of: {', '.join(list_models())}"
            )
        points.setdefault(config.run_id(), GridPoint(config.run_id(), values, config))
    return list(points.values())


# --- the sweep record report reads -------------------------------------------------------


@dataclass
class GridRecord:
    """What ``grids/<name>.json`` holds: the last sweep of that grid over this folder."""

    name: str
    keys: list[str]
    points: list[dict[str, Any]]  # {"run_id": ..., "values": {key: value}}
    paper_table: str | None = None
    source: str = ""
    config: str = ""
    overrides: list[str] = field(default_factory=list)


def grids_dir(results: Path) -> Path:
    return Path(results) / "grids"


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
        points=[{"run_id": p.run_id, "values": p.values} for p in points],
        paper_table=grid.paper_table,
        source=grid.source,
        config=config,
        overrides=list(overrides or []),
    )
    path = grids_dir(results) / f"{grid.name}.json"
    rundir.write_json_atomic(path, asdict(record))
    return path


def read_grid_records(results: Path) -> list[GridRecord]:
    """Every sweep recorded under ``results``, by name."""
    folder = grids_dir(results)
    records = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            records.append(GridRecord(**json.loads(path.read_text())))
        except (ValueError, TypeError) as exc:
            raise SigbenchError(f"{path}: not a sigbench grid record ({exc})") from None
    return records


# --- per-run locks ---------------------------------------------------------------------


class RunLock:
    """An exclusive ``flock`` on ``runs/.lock-<run-id>``.

    The kernel drops a flock when its holder dies, so a lock file a killed process left
    behind (its pid inside is only informative) is simply taken over.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd < 0:
            return
        # Unlink while still holding it: a waiter that opened this inode re-checks and retries.
        self.path.unlink(missing_ok=True)
        os.close(self.fd)
        self.fd = -1


def try_lock(results: Path, run_id: str) -> RunLock | None:
    """The lock for ``run_id``, or None when another live process holds it."""
    path = rundir.runs_dir(results) / f"{LOCK_PREFIX}{run_id}"
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError as exc:
            os.close(fd)
            raise SigbenchError(f"{path}: cannot lock files in this folder ({exc})") from None
        try:
            current = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)  # the holder released (unlinked) it between our open and flock
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return RunLock(path, fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_dead_partials(results: Path, run_id: str) -> None:
    """Delete ``run_id``'s partial folders whose assembling process is gone (call under lock)."""
    root = rundir.runs_dir(results)
    prefix = f"{rundir.PARTIAL_PREFIX}{run_id}-"
    for path in root.iterdir() if root.is_dir() else []:
        pid = path.name.rsplit("-", 1)[-1]
        if path.name.startswith(prefix) and pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


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


def _settle(future: Future, point: GridPoint, outcome: GridOutcome) -> None:
    """A user error fails one point (e.g. a head too big for the image); a bug stops the grid."""
    try:
        future.result()
    except SigbenchError as exc:
        outcome.failed[point.run_id] = str(exc)
    else:
        outcome.trained.append(point.run_id)


def run_grid(
    points: Iterable[GridPoint],
    results: Path,
    executor: Executor,
    progress: Progress = SILENT,
    *,
    name: str = "grid",
) -> GridOutcome:
    """Train every point not finished yet, ``executor.slots`` at a time, each under its lock.

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
                    _settle(future, point, outcome)
                    bar.advance()
        except BaseException:
            executor.stop()
            raise
        finally:
            for _, lock in running.values():
                lock.release()
    return outcome
