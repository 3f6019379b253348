"""Experiment tracking: finished runs logged to MLflow and TensorBoard, as an output only.

Trackers read finished run folders (:mod:`sigbench.tracking.record`) and never touch a run's
config, id or metrics. :class:`Tracking` opens the trackers one command asked for, logs each
run as it finishes, and can be handed the same run twice: every tracker skips what it has.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from filelock import FileLock

from sigbench.errors import SigbenchError
from sigbench.options import TRACKERS
from sigbench.tracking.mlflow_tracker import MlflowTracker
from sigbench.tracking.record import TrackedRun, TrackedSweep, read_tracked_run
from sigbench.tracking.tensorboard_tracker import TensorBoardTracker

LOCK_FILE = ".tracking.lock"

__all__ = ["TRACKERS", "TrackedSweep", "Tracking", "check_trackers"]


class Tracker(Protocol):
    name: str

    def log(self, run: TrackedRun, sweep: TrackedSweep | None = None) -> bool: ...

    def close(self) -> None: ...

    def summary(self) -> str: ...


def check_trackers(names: Iterable[str], source: str = "--track") -> list[str]:
    """``names`` without repeats, in order, or a one-line error naming the unknown one."""
    chosen: list[str] = []
    for name in names:
        if name not in TRACKERS:
            raise SigbenchError(
                f"{source} {name!r}: not a tracker; choose from {', '.join(TRACKERS)}"
            )
        if name not in chosen:
            chosen.append(name)
    return chosen


@contextmanager
def _locked(results: Path) -> Iterator[None]:
    """One process at a time logs a results folder's runs (search-then-log stays atomic)."""
    Path(results).mkdir(parents=True, exist_ok=True)
    with FileLock(Path(results) / LOCK_FILE, thread_local=False):
        yield


class Tracking(AbstractContextManager):
    """The trackers one command logs to, opened (and their packages imported) up front."""

    def __init__(self, names: Iterable[str], results: Path, *, uri: str | None = None) -> None:
        self.results = Path(results)
        self.trackers: list[Tracker] = []
        self._logged: set[tuple[str, str | None]] = set()  # (run id, sweep key) done here
        for name in check_trackers(names):
            if name == "mlflow":
                self.trackers.append(MlflowTracker(self.results, uri))
            else:
                self.trackers.append(TensorBoardTracker())

    def log(self, run_dir: Path, sweep: TrackedSweep | None = None) -> None:
        """Log one finished run folder (of ``sweep``) to every tracker that lacks it.

        A run this command logged already is not looked up again, so a sweep that logs
        each run as it trains and then every finished point counts each run once.
        """
        key = (Path(run_dir).name, sweep.key if sweep else None)
        if not self.trackers or key in self._logged:
            return
        run = read_tracked_run(run_dir)
        with _locked(self.results):
            for tracker in self.trackers:
                tracker.log(run, sweep)
        self._logged.add(key)

    def log_all(self, run_dirs: Iterable[Path], sweep: TrackedSweep | None = None) -> None:
        for run_dir in run_dirs:
            self.log(run_dir, sweep)

    def close(self) -> None:
        if not self.trackers:
            return  # no lock file in a results folder nothing was tracked from
        with _locked(self.results):
            for tracker in self.trackers:
                tracker.close()

    def summaries(self) -> list[str]:
        return [tracker.summary() for tracker in self.trackers]

    def __exit__(self, *exc_info: object) -> None:
        self.close()
