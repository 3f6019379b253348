"""The scheduler: grid points from a base config, a record of each sweep, skip/lock/resume.

Every point is the base config with the grid's values set, so its run id (name + hash of the
resolved config) says whether it already ran: finished runs are skipped, runs a killed
process left half done are redone. ``grids/<grid>.json`` (:mod:`sigbench.runs.grid_records`)
lists a sweep's run ids so ``report`` can rebuild its table from the run folders alone. Two
processes sweeping the same results folder share the work: each run is trained under its
claim (:mod:`sigbench.runs.claim`), and points another process holds are skipped (or, for
``train --seeds``, waited for). :class:`GridSweep` is the scheduler as a
:class:`~sigbench.sweeps.runner.Sweep`; :func:`sigbench.sweeps.runner.run_sweep` runs it.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigbench.config import ExperimentConfig, validate_config
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress, Task
from sigbench.runs.claim import Claim, ClaimState, claim
from sigbench.runs.grid_records import GridRecord, write_grid_record
from sigbench.sweeps.base import Executor
from sigbench.sweeps.grids import Grid
from sigbench.sweeps.runner import OnTrained, SweepOutcome
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


def _settle(future: Future, point: GridPoint, outcome: SweepOutcome) -> bool:
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


def describe_point(point: GridPoint, number: int, total: int) -> str:
    """``point 3 of 10 (signature.depth=3, seed 1)``: a grid point as messages name it."""
    values = [f"{key}={json.dumps(value)}" for key, value in point.values.items()]
    return f"point {number} of {total} ({', '.join([*values, f'seed {point.seed}'])})"


class GridSweep:
    """Train every point not finished yet, ``executor.slots`` at a time, each under its claim
    (:func:`sigbench.runs.claim.claim`): a :class:`~sigbench.sweeps.runner.Sweep`.

    Points another process holds are reported busy, or with ``wait_for_busy`` waited for
    once the rest are done (``on_wait(run_id, holder)`` is told first) and then counted as
    finished, or trained if that process gave up. On Ctrl-C or an unexpected error (a bug,
    which would repeat at every point) the executor abandons its runs (their partial folders
    are redone next time), the locks are released and the exception propagates; finished
    runs stay.
    """

    def __init__(
        self,
        points: Iterable[GridPoint],
        results: Path,
        *,
        name: str = "grid",
        kind: str = "grid",
        wait_for_busy: bool = False,
        on_wait: Callable[[str, str], object] | None = None,
    ) -> None:
        self.points = list(points)
        self.results, self.name, self.kind, self.total = results, name, kind, len(self.points)
        self.wait_for_busy, self.on_wait = wait_for_busy, on_wait

    def run(
        self, executor: Executor, outcome: SweepOutcome, progress: Progress, on_trained: OnTrained
    ) -> None:
        numbers = {point.run_id: k + 1 for k, point in enumerate(self.points)}
        pending = deque(self.points)
        waiting: list[GridPoint] = []  # busy elsewhere, waited for once the rest are done
        running: dict[Future, tuple[GridPoint, Claim]] = {}
        with progress.task(f"{self.kind} {self.name}", total=len(pending)) as bar:
            try:
                while pending or running or waiting:
                    while pending and len(running) < executor.slots:
                        point = pending.popleft()
                        held = claim(self.results, point.run_id)
                        if held.claimed:
                            # Named before submitting: a serial executor trains in submit.
                            outcome.in_flight[point.run_id] = describe_point(
                                point, numbers[point.run_id], self.total
                            )
                            self._submit(executor, point, held, running, progress, bar)
                        elif held.state is ClaimState.busy and self.wait_for_busy:
                            waiting.append(point)
                        else:
                            finished = held.state is ClaimState.finished
                            (outcome.skipped if finished else outcome.busy).append(point.run_id)
                            bar.advance()
                    if running:
                        done, _ = wait(running, return_when=FIRST_COMPLETED)
                        for future in done:
                            point, held = running.pop(future)
                            outcome.in_flight.pop(point.run_id, None)
                            held.release()
                            if _settle(future, point, outcome):
                                on_trained(point.run_id)
                            bar.advance()
                    elif waiting:
                        point = waiting.pop(0)
                        if self._wait(point, outcome, bar):
                            pending.append(point)
            except BaseException:
                executor.stop()
                raise
            finally:
                for _, held in running.values():
                    held.release()

    def _submit(
        self,
        executor: Executor,
        point: GridPoint,
        held: Claim,
        running: dict[Future, tuple[GridPoint, Claim]],
        progress: Progress,
        bar: Task,
    ) -> None:
        bar.update(description=f"{self.kind} {self.name}: {point.run_id}")
        try:
            future = executor.submit(point.config, self.results, progress)
        except BaseException:
            held.release()
            raise
        running[future] = (point, held)

    def _wait(self, point: GridPoint, outcome: SweepOutcome, bar: Task) -> bool:
        """Wait for the process holding ``point``; True when it stopped without finishing
        the run, which is then trained here."""

        def tell(holder: str) -> None:
            if self.on_wait is not None:
                self.on_wait(point.run_id, holder)

        held = claim(self.results, point.run_id, wait=True, on_wait=tell)
        if held.claimed:
            held.release()
            return True
        outcome.skipped.append(point.run_id)
        bar.advance()
        return False


def run_grid(
    points: Iterable[GridPoint],
    results: Path,
    executor: Executor,
    progress: Progress = SILENT,
    *,
    name: str = "grid",
    on_trained: OnTrained | None = None,
) -> SweepOutcome:
    """:class:`GridSweep` on an executor already open (the runner,
    :func:`sigbench.sweeps.runner.run_sweep`, opens one and adds tracking and Ctrl-C)."""
    sweep = GridSweep(points, results, name=name)
    outcome = SweepOutcome(sweep.kind, name, Path(results), sweep.total)
    sweep.run(executor, outcome, progress, on_trained or (lambda run_id: None))
    return outcome
