"""The one sweep runner: ``ablate``, ``tune`` and ``train --seeds`` train their runs through
:func:`run_sweep`, and the CLI shows the :class:`SweepOutcome` it returns with one function.

Public API (for commands built on it, e.g. ``compare``)::

    from sigbench.sweeps.runner import ExecutorSettings, SweepInterrupted, run_sweep
    from sigbench.sweeps.scheduler import GridSweep, expand_grid, seed_points

    sweep = GridSweep(expand_grid(base, grid), results, name=grid.name)
    try:
        outcome = run_sweep(sweep, results, ExecutorSettings(jobs=4), progress)
    except SweepInterrupted as stop:  # Ctrl-C: a KeyboardInterrupt carrying what was done
        outcome = stop.outcome
    outcome.trained, outcome.skipped, outcome.failed, outcome.finished_runs()

- :class:`ExecutorSettings`: where runs train (``jobs`` local processes, or Ray tasks at
  ``address``) and whether each run draws its analysis pictures; :meth:`check` refuses
  inconsistent settings before any work.
- :class:`Sweep`: what a sweep implements. :class:`~sigbench.sweeps.scheduler.GridSweep`
  trains a list of points (a grid; one config at N seeds) and
  :class:`~sigbench.sweeps.tune.Tuner` an Optuna study; both claim every run with
  :func:`sigbench.runs.claim.claim`, so finished runs are skipped, runs another process
  holds are not trained twice, and a killed sweep resumes where it stopped.
- :func:`run_sweep`: opens the executor, runs the sweep, logs each run to the trackers as it
  is published and every finished run of the sweep at the end (``tracking``, under the
  ``parent`` sweep when given), and on Ctrl-C raises :class:`SweepInterrupted`.
- :class:`SweepOutcome`: run ids trained, skipped (finished before), busy (another process),
  pruned, failed (with their messages), and what was in flight when interrupted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sigbench.errors import SigbenchError
from sigbench.options import EXECUTORS
from sigbench.progress import SILENT, Progress
from sigbench.runs import rundir
from sigbench.sweeps.base import Executor, RunFunction, available_cores, train_point

if TYPE_CHECKING:
    from sigbench.tracking import Tracking
    from sigbench.tracking.record import TrackedSweep

logger = logging.getLogger(__name__)


@dataclass
class SweepOutcome:
    """What one sweep did in this process; run folders hold every process's runs."""

    kind: str  # "grid", "seeds" or "study"
    name: str
    results: Path
    total: int  # runs (points) or trials asked for
    trained: list[str] = field(default_factory=list)  # run ids trained to the end here
    skipped: list[str] = field(default_factory=list)  # finished before: skipped or reused
    busy: list[str] = field(default_factory=list)  # another process was training them
    pruned: list[str] = field(default_factory=list)  # stopped early by the search's pruner
    failed: dict[str, str] = field(default_factory=dict)  # run id or "trial N" -> message
    in_flight: dict[str, str] = field(default_factory=dict)  # run id -> what it is, running
    interrupted: bool = False

    def finished_runs(self) -> list[Path]:
        """The finished run folders this sweep trained or found finished, in order."""
        runs = (rundir.runs_dir(self.results) / run_id for run_id in (*self.trained, *self.skipped))
        return [run for run in dict.fromkeys(runs) if rundir.is_finished(run)]


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep: finished runs are kept, runs in flight were abandoned (their
    partial folders are redone next time); ``outcome`` says what was done and what stopped."""

    def __init__(self, outcome: SweepOutcome) -> None:
        super().__init__(f"{outcome.kind} {outcome.name} interrupted")
        self.outcome = outcome


OnTrained = Callable[[str], object]


class Sweep(Protocol):
    """A set of runs trained through an executor, filling ``outcome`` as each settles.

    ``run`` keeps ``outcome.in_flight`` current (so an interruption can say what stopped) and
    calls ``on_trained(run_id)`` as each run it trained is published.
    """

    kind: str
    name: str
    total: int

    def run(
        self, executor: Executor, outcome: SweepOutcome, progress: Progress, on_trained: OnTrained
    ) -> None: ...


@dataclass(frozen=True)
class ExecutorSettings:
    """Where a sweep's runs train: ``jobs`` at once on this machine (``kind`` local) or as
    Ray tasks (``kind`` ray, on the cluster at ``address``); ``analysis`` draws every run's
    error-analysis pictures. ``run_fn`` replaces the run function (it must pickle for
    process pools and Ray): :func:`~sigbench.sweeps.base.train_point` by default."""

    jobs: int = 1
    kind: str = "local"
    address: str | None = None
    analysis: bool = False
    run_fn: RunFunction | None = None

    def check(self, threads: int | None = None) -> None:
        """Refuse settings that contradict each other; warn when ``jobs`` runs of
        ``threads`` torch threads each oversubscribe the cores."""
        if self.kind not in EXECUTORS:
            raise SigbenchError(f"--executor {self.kind!r}: choose one of {', '.join(EXECUTORS)}")
        if self.address is not None and self.kind != "ray":
            raise SigbenchError("--address names a Ray cluster: add --executor ray")
        if self.jobs < 1:
            raise SigbenchError(f"--jobs {self.jobs}: expected a whole number >= 1")
        cores = available_cores()
        if self.kind == "local" and threads and self.jobs * threads > cores:
            logger.warning(
                "%d jobs x train.num_threads %d exceed the %d cores", self.jobs, threads, cores
            )

    def open(self) -> Executor:
        from sigbench.sweeps.executors import make_executor  # torch, when runs will train

        run_fn = self.run_fn or (partial(train_point, analysis=True) if self.analysis else None)
        return make_executor(self.jobs, run_fn, kind=self.kind, address=self.address)


class _TrackedRuns:
    """Each run logged as it is published (a courtesy to whoever watches the UI, so a
    tracker failing then is a warning), then every finished run of the sweep at the end."""

    def __init__(self, tracking: Tracking | None, parent: TrackedSweep | None) -> None:
        self.tracking, self.parent = tracking, parent

    def trained(self, results: Path, run_id: str) -> None:
        if self.tracking is None:
            return
        try:
            self.tracking.log(rundir.runs_dir(results) / run_id, self.parent)
        except Exception as exc:  # any tracker error: the run is safe, finish() retries
            logger.warning("tracking %s failed (%s); retried when the sweep ends", run_id, exc)

    def finish(self, outcome: SweepOutcome, progress: Progress) -> None:
        if self.tracking is None or not self.tracking.trackers:
            return
        runs = outcome.finished_runs()
        with self.tracking, progress.task("tracking", total=len(runs)) as task:
            for run in runs:
                self.tracking.log(run, self.parent)
                task.advance()


def run_sweep(
    sweep: Sweep,
    results: Path,
    settings: ExecutorSettings | None = None,
    progress: Progress = SILENT,
    *,
    tracking: Tracking | None = None,
    parent: TrackedSweep | None = None,
) -> SweepOutcome:
    """Run ``sweep``'s runs on the executor ``settings`` name; log them to ``tracking``
    (closed at the end). Ctrl-C raises :class:`SweepInterrupted` once the finished runs are
    logged; a bug in a run (not a :class:`~sigbench.errors.SigbenchError`) propagates."""
    settings = settings or ExecutorSettings()
    settings.check()
    outcome = SweepOutcome(sweep.kind, sweep.name, Path(results), sweep.total)
    tracked = _TrackedRuns(tracking, parent)
    try:
        with settings.open() as executor:
            sweep.run(executor, outcome, progress, partial(tracked.trained, Path(results)))
    except KeyboardInterrupt:
        outcome.interrupted = True
        tracked.finish(outcome, progress)
        raise SweepInterrupted(outcome) from None
    tracked.finish(outcome, progress)
    return outcome
