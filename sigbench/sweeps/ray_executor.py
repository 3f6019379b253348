"""Grid points as Ray tasks, on a local Ray instance or a cluster.

The driver (``run_grid``) keeps deciding what runs: it skips finished runs and holds each
run's lock while its task is queued or running, exactly as with the local executors. A task
trains one point and publishes its run folder itself, so ``results`` must be a path every
node reaches (shared storage mounted at the same place); the task runs in the driver's
working folder where that exists on its node, so relative paths in a config mean the same.

Ray is an optional extra and imported only here, when an executor is made. Every point is
handed to Ray at once and the cluster's free resources decide how many train together
(an autoscaler sees the whole queue). Unlike the local executors, any failure of a task
(an exception, a killed worker, a lost node) fails only its own point: on a cluster the
cause is often the node, and the other points are already running elsewhere. Ray does not
retry a task; running the sweep again redoes exactly the runs that did not finish.
"""

from __future__ import annotations

import os
import re
import socket
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import torch

from sigbench.config import ExperimentConfig
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress
from sigbench.sweeps.base import Executor, RunFunction

INSTALL_HINT = "pip install 'sigbench[ray]'"


def import_ray() -> Any:
    """The ``ray`` module, or a one-line error saying how to install it."""
    try:
        import ray  # an optional extra, imported only when a Ray executor is made
    except ImportError:
        raise SigbenchError(
            f"--executor ray needs Ray, which is not installed: {INSTALL_HINT}"
        ) from None
    return ray


def task_resources(config: ExperimentConfig) -> dict[str, float]:
    """What one run asks Ray for: its torch threads as CPUs, and a GPU when it trains on one."""
    return {
        "num_cpus": config.train.num_threads or 1,
        "num_gpus": 1 if config.train.device.startswith("cuda") else 0,
    }


def _run_task(run_fn: RunFunction, config: ExperimentConfig, results: str, cwd: str) -> object:
    """One grid point on a Ray worker (which is pooled: its threads are set for each run).

    The driver made ``results``; a node that does not see it would publish the run on its
    own disk, where no report finds it, so the point fails instead.
    """
    if not os.path.isdir(results):
        raise SigbenchError(
            f"{results}: no such folder on node {socket.gethostname()}; --results must be on "
            "storage every node mounts at the same path"
        )
    if os.path.isdir(cwd):
        os.chdir(cwd)
    torch.set_num_threads(int(task_resources(config)["num_cpus"]))
    return run_fn(config, Path(results), SILENT)


def _failure(error: BaseException) -> SigbenchError:
    """One line for a failed task: the run's own error (where it was raised, on which node),
    or why Ray lost the task. Ray sends the traceback as text, so the place is read from it."""
    ray = import_ray()
    if not isinstance(error, ray.exceptions.RayTaskError):
        return SigbenchError(f"Ray: {_first_line(error)}")
    cause = error.cause
    if isinstance(cause, SigbenchError):
        return SigbenchError(_first_line(cause))
    report = str(error)
    frames = re.findall(r'File "([^"]+)", line (\d+)', report)
    node = re.search(r"\(pid=\d+, ip=([^,)]+)", report)
    where = [f"at {frames[-1][0]}:{frames[-1][1]}"] if frames else []
    where += [f"on {node.group(1)}"] if node else []
    suffix = f" ({' '.join(where)})" if where else ""
    return SigbenchError(f"{type(cause).__name__}: {_first_line(cause)}{suffix}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _forward(done: Future, future: Future) -> None:
    """Ray's outcome of one task onto the future ``run_grid`` waits on, which is always set."""
    try:
        future.set_result(done.result())
    except Exception as error:
        try:
            failure: Exception = _failure(error)
        except Exception as bug:  # a bug here must surface, never leave the sweep waiting
            failure = bug
        future.set_exception(failure)


def _check_reachable(address: str) -> None:
    """Fail at once on a HOST:PORT nothing answers at: Ray itself retries for minutes."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # "auto", a Ray Client address: Ray resolves and reports those itself
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise SigbenchError(
            f"--address {address}: no Ray head answers there ({exc}); start one with "
            "`ray start --head` on that machine"
        ) from None


class RayExecutor(Executor):
    """Each :meth:`submit` is one Ray task with :func:`task_resources`.

    Joins the Ray instance this process already has, else connects to ``address`` (a
    cluster's head, ``auto``; None: ``RAY_ADDRESS``, a ``ray start`` on this machine, or a
    new private instance), and disconnects on :meth:`close` only if it connected itself.
    """

    slots = 1 << 30  # no cap here: Ray queues each point until a node has room for it

    def __init__(self, address: str | None = None, run_fn: RunFunction | None = None) -> None:
        super().__init__(run_fn)
        ray = import_ray()
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            if address:
                _check_reachable(address)
            local = {} if address else {"include_dashboard": False}
            try:
                ray.init(address=address, configure_logging=False, **local)
            except ConnectionError as exc:
                hint = (
                    ""
                    if os.environ.get("RAY_AUTH_MODE") == "token"
                    else " (a cluster with token authentication also needs RAY_AUTH_MODE=token "
                    "and its token here: docs/ray.md)"
                )
                raise SigbenchError(
                    f"cannot reach a Ray cluster at {address}: {_first_line(exc)}{hint}"
                ) from None
        self._task = ray.remote(_run_task)
        self._refs: set[Any] = set()  # tasks in flight, for stop()

    def submit(
        self,
        config: ExperimentConfig,
        results: Path,
        progress: Progress,
        run_fn: RunFunction | None = None,
    ) -> Future:
        options = task_resources(config) | {"max_retries": 0, "name": config.run_id()}
        ref = self._task.options(**options).remote(
            run_fn or self.run_function(), config, str(Path(results).resolve()), os.getcwd()
        )
        self._refs.add(ref)
        future: Future = Future()
        future.add_done_callback(lambda _: self._refs.discard(ref))
        ref.future().add_done_callback(lambda done: _forward(done, future))
        return future

    def stop(self) -> None:
        ray = import_ray()
        for ref in list(self._refs):
            ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._owns_ray:
            import_ray().shutdown()
