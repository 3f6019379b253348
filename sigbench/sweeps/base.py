"""What every executor is: ``slots`` runs in flight, ``submit`` (a future per run), ``stop``
(abandon in-flight runs on Ctrl-C) and ``close``; and the run function they call by default.

:func:`sigbench.sweeps.scheduler.run_grid` only needs :class:`Executor`. The local executors
(:mod:`sigbench.sweeps.executors`) and the Ray one (:mod:`sigbench.sweeps.ray_executor`) are
its subclasses.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from sigbench.config import ExperimentConfig
from sigbench.experiments.train import train_run
from sigbench.progress import Progress

RunFunction = Callable[[ExperimentConfig, Path, Progress], object]


def train_point(
    config: ExperimentConfig, results: Path, progress: Progress, *, analysis: bool = False
) -> object:
    """The default run function: :func:`~sigbench.experiments.train.train_run`.

    ``analysis`` draws each run's error-analysis pictures too (bind it with
    ``functools.partial``, which pickles, so process pools and Ray can take it).
    """
    return train_run(config, results, progress=progress, analysis=analysis)


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Executor(ABC):
    slots: int = 1

    def __init__(self, run_fn: RunFunction | None = None) -> None:
        self._run_fn = run_fn

    def run_function(self) -> RunFunction:
        """The run function given, else :func:`train_point`."""
        return self._run_fn or train_point

    @abstractmethod
    def submit(
        self,
        config: ExperimentConfig,
        results: Path,
        progress: Progress,
        run_fn: RunFunction | None = None,
    ) -> Future:
        """Start one run (with ``run_fn``, else the executor's run function, e.g. one that
        carries a search trial's id); the future holds its result or exception."""

    @abstractmethod
    def stop(self) -> None:
        """Abandon runs in flight (Ctrl-C); their partial folders are redone next time."""

    @abstractmethod
    def close(self) -> None:
        """Release workers after the grid is done."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
