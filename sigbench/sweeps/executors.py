"""Where grid points run: in this process, in a pool of local processes, or as Ray tasks.

Each is an :class:`~sigbench.sweeps.base.Executor`; :func:`make_executor` picks one.
"""

from __future__ import annotations

import itertools
import logging
import logging.handlers
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

import torch

from sigbench.config import ExperimentConfig
from sigbench.progress import Progress
from sigbench.sweeps.base import Executor, RunFunction, available_cores
from sigbench.sweeps.ray_executor import RayExecutor


class SerialExecutor(Executor):
    """One run at a time in this process; the run's own progress bars show directly."""

    def submit(
        self,
        config: ExperimentConfig,
        results: Path,
        progress: Progress,
        run_fn: RunFunction | None = None,
    ) -> Future:
        future: Future = Future()
        try:
            future.set_result((run_fn or self.run_function())(config, results, progress))
        except Exception as exc:  # Ctrl-C (BaseException) propagates; failures are results
            future.set_exception(exc)
        return future

    def stop(self) -> None:
        """Nothing to abandon: Ctrl-C interrupts the run in this very thread."""

    def close(self) -> None:
        """No workers to release."""


# --- worker side of the process pool -------------------------------------------------------

_events: Any = None  # the worker's end of the progress queue


def _exit_with_parent(parent: int) -> None:
    """A worker whose sweep process died must not finish a run nobody holds the lock for."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


class _QueueLog(logging.handlers.QueueHandler):
    """A worker's log records go to the parent, whose handlers show each warning once."""

    def enqueue(self, record: logging.LogRecord) -> None:
        self.queue.put(("log", record))


def _init_worker(events: Any, threads: int, parent: int, log_level: int) -> None:
    """Leave Ctrl-C to the parent (it stops the pool), share the cores between workers, and
    log through the parent."""
    global _events
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    _events = events
    logging.basicConfig(
        level=log_level, format="%(message)s", handlers=[_QueueLog(events)], force=True
    )
    events.put(("pid", os.getpid()))


class _QueueTask:
    def __init__(self, events: Any, task_id: str) -> None:
        self.events, self.task_id = events, task_id

    def advance(self, steps: int = 1) -> None:
        self.events.put(("advance", self.task_id, steps))

    def update(self, **fields: object) -> None:
        self.events.put(("update", self.task_id, fields))


class _QueueProgress:
    """A worker's :class:`Progress`: every bar event goes to the parent, which draws it."""

    def __init__(self, events: Any, run_key: str) -> None:
        self.events, self.run_key = events, run_key
        self._ids = itertools.count()

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[_QueueTask]:
        task_id = f"{self.run_key}/{os.getpid()}/{next(self._ids)}"
        self.events.put(("open", self.run_key, task_id, description, total))
        try:
            yield _QueueTask(self.events, task_id)
        finally:
            self.events.put(("close", task_id))


def _run_in_worker(
    run_fn: RunFunction, config: ExperimentConfig, results: Path, run_key: str
) -> object:
    return run_fn(config, results, _QueueProgress(_events, run_key))


class ProcessPoolRunner(Executor):
    """``jobs`` runs at once in spawned processes, each with ``cores // jobs`` torch threads.

    Workers send their progress events and log records through a queue; a thread here
    replays them on the progress given to :meth:`submit`, each bar labelled with its run id,
    and on this process's log handlers.
    """

    def __init__(
        self, jobs: int, run_fn: RunFunction | None = None, threads: int | None = None
    ) -> None:
        super().__init__(run_fn)
        self.slots = jobs
        self.threads = threads or max(1, available_cores() // jobs)
        context = multiprocessing.get_context("spawn")
        self._events = context.Queue()
        self._pool = ProcessPoolExecutor(
            jobs,
            mp_context=context,
            initializer=_init_worker,
            initargs=(self._events, self.threads, os.getpid(), logging.getLogger().level),
        )
        self._targets: dict[str, Progress] = {}
        self._pids: set[int] = set()
        self._relay = threading.Thread(target=self._replay_events, daemon=True)
        self._relay.start()

    def submit(
        self,
        config: ExperimentConfig,
        results: Path,
        progress: Progress,
        run_fn: RunFunction | None = None,
    ) -> Future:
        key = config.run_id()
        self._targets[key] = progress
        return self._pool.submit(
            _run_in_worker, run_fn or self.run_function(), config, results, key
        )

    def stop(self) -> None:
        for pid in list(self._pids):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._events.put(None)
        self._relay.join(timeout=10)
        self._events.cancel_join_thread()

    def _replay_events(self) -> None:
        open_tasks: dict[str, tuple[AbstractContextManager, Any, str]] = {}
        while (event := self._events.get()) is not None:
            kind, *args = event
            if kind == "pid":
                self._pids.add(args[0])
            elif kind == "log":
                logging.getLogger(args[0].name).handle(args[0])
            elif kind == "open":
                run_key, task_id, description, total = args
                manager = self._targets[run_key].task(f"{run_key}: {description}", total)
                open_tasks[task_id] = (manager, manager.__enter__(), run_key)
            elif kind == "advance":
                open_tasks[args[0]][1].advance(args[1])
            elif kind == "update":
                _, task, run_key = open_tasks[args[0]]
                fields = dict(args[1])
                if "description" in fields:
                    fields["description"] = f"{run_key}: {fields['description']}"
                task.update(**fields)
            elif kind == "close":
                open_tasks.pop(args[0])[0].__exit__(None, None, None)
        for manager, _, _ in open_tasks.values():
            manager.__exit__(None, None, None)


def make_executor(
    jobs: int,
    run_fn: RunFunction | None = None,
    *,
    kind: str = "local",
    address: str | None = None,
) -> Executor:
    """Locally serial for one job (no process start-up cost), else a local process pool; or
    Ray tasks on the instance at ``address`` (Ray is imported only then: an optional extra)."""
    if kind == "ray":
        return RayExecutor(address, run_fn)
    return SerialExecutor(run_fn) if jobs <= 1 else ProcessPoolRunner(jobs, run_fn)
