"""The Ray executor on a real local Ray instance: the local table, failures one point at a time.

One Ray instance (2 CPUs, loopback) serves the module. Run functions defined here and in
``fake_runs`` travel to the workers by value (no test folder is on a worker's path).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import wait
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="the ray extra: pip install 'sigbench[ray]'")

import ray
from ray import cloudpickle
from typer.testing import CliRunner

from sigbench.cli import app
from sigbench.config import ExperimentConfig, validate_config
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress
from sigbench.runs import rundir
from sigbench.runs.locks import try_lock
from sigbench.sweeps.executors import make_executor
from sigbench.sweeps.grids import Grid
from sigbench.sweeps.ray_executor import task_resources
from sigbench.sweeps.scheduler import GridPoint, expand_grid, run_grid
from tests.helpers import fake_runs

REPO = Path(__file__).resolve().parents[2]
DEMO = str(REPO / "configs" / "demo.yaml")
# Measured, not trained: they differ from one run of the same config to the next.
TIMINGS = {
    "latency_ms", "images_per_s", "train_seconds", "featurize_seconds", "feature_cache",
    "decode_seconds", "pixel_cache",
}  # fmt: skip

pytestmark = [pytest.mark.ray, pytest.mark.slow]  # starting Ray takes seconds


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A private Ray instance; its socket folder sits in a short /tmp path (sockets' limit)."""
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            configure_logging=False,
            log_to_driver=False,
            _node_ip_address="127.0.0.1",
            _temp_dir=temp,
        )
        for module in (fake_runs, sys.modules[__name__]):
            cloudpickle.register_pickle_by_value(module)
        try:
            yield
        finally:
            for module in (fake_runs, sys.modules[__name__]):
                cloudpickle.unregister_pickle_by_value(module)
            ray.shutdown()
            shutil.rmtree(temp, ignore_errors=True)


def ablate(results: Path, *args: str) -> str:
    outcome = CliRunner().invoke(
        app,
        ["ablate", "--config", DEMO, "--results", str(results), *args],
        catch_exceptions=False,
    )
    assert outcome.exit_code == 0, outcome.output
    return outcome.output


def table(results: Path, grid: str) -> list[dict[str, str]]:
    """The sweep's CSV table without its one measured column."""
    with (results / "tables" / f"{grid}.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return [{k: v for k, v in row.items() if k != "train_time_min"} for row in rows]


def trained_metrics(results: Path) -> dict[str, dict]:
    return {
        run.name: {k: v for k, v in rundir.read_metrics(run).items() if k not in TIMINGS}
        for run in rundir.finished_runs(results)
    }


def test_ray_sweep_writes_the_local_table_and_skips_finished_runs(
    local_ray: None, tmp_path: Path
) -> None:
    grid = tmp_path / "depths.yaml"
    grid.write_text("signature.depth: [1, 3]\n")
    # One torch thread either way, so both executors add up floats in the same order.
    args = ("--grid", str(grid), "--set", "train.epochs=2", "--set", "train.num_threads=1")
    assert "trained 2" in ablate(tmp_path / "local", *args)
    assert "trained 2" in ablate(tmp_path / "ray", *args, "--executor", "ray")

    assert table(tmp_path / "ray", "depths") == table(tmp_path / "local", "depths")
    assert trained_metrics(tmp_path / "ray") == trained_metrics(tmp_path / "local")
    again = ablate(tmp_path / "ray", *args, "--executor", "ray")
    assert "trained 0, already finished 2" in again


def crash_or_train(config: ExperimentConfig, results: Path, progress: Progress) -> Path:
    """Depth 2 kills its worker mid-assembly, 3 hits a bug, 4 a user error; the rest train."""
    if config.signature.depth == 2:
        rundir.partial_dir(results, config.run_id())
        os._exit(1)
    if config.signature.depth == 3:
        raise ValueError("boom")
    if config.signature.depth == 4:
        raise SigbenchError("head too big for these images")
    return fake_runs.fake_train(config, results, progress)


@pytest.fixture
def points() -> list[GridPoint]:
    base = validate_config({"data": {"source": "builtin", "name": "digits"}}, "test")
    return expand_grid(base, Grid("failures", {"signature.depth": [1, 2, 3, 4]}))


def test_failed_tasks_are_reported_one_by_one_and_redone_next_time(
    local_ray: None, tmp_path: Path, points: list[GridPoint]
) -> None:
    ids = {p.config.signature.depth: p.run_id for p in points}
    with make_executor(1, crash_or_train, kind="ray") as executor:
        first = run_grid(points, tmp_path, executor)
    assert first.trained == [ids[1]]
    assert first.failed[ids[2]].startswith("Ray: The worker died unexpectedly")
    assert re.fullmatch(
        r"ValueError: boom \(at .*test_ray_executor\.py:\d+ on \S+\)", first.failed[ids[3]]
    )
    assert first.failed[ids[4]] == "head too big for these images"
    # Only the dead worker's half-written folder may be left (it goes when the sweep lets go
    # of the run's lock, if the worker's process is reaped by then; else the next holder's).
    leftovers = [p.name for p in rundir.unfinished_runs(tmp_path)]
    assert all(n.startswith(f"{rundir.PARTIAL_PREFIX}{ids[2]}-") for n in leftovers)

    with make_executor(1, fake_runs.fake_train, kind="ray") as executor:
        second = run_grid(points, tmp_path, executor)
    assert second.skipped == [ids[1]]
    assert sorted(second.trained) == sorted(ids[d] for d in (2, 3, 4))
    assert rundir.unfinished_runs(tmp_path) == []
    for run_id in ids.values():  # every lock free again (lock files stay: waiters share them)
        lock = try_lock(tmp_path, run_id)
        assert lock is not None
        lock.release()


def sleep_long(config: ExperimentConfig, results: Path, progress: Progress) -> None:
    (results / "started").touch()
    time.sleep(120)


def test_stop_cancels_runs_in_flight(local_ray: None, tmp_path: Path) -> None:
    config = validate_config({}, "test")
    with make_executor(1, sleep_long, kind="ray") as executor:
        future = executor.submit(config, tmp_path, SILENT)
        # Stopped once it runs: Ray may drop a cancel that reaches a task still resolving
        # its arguments (ray-project/ray#46315), which once left this future pending. A
        # sweep does not hang on that (run_grid never waits after stop()).
        deadline = time.monotonic() + 60
        while not (tmp_path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        executor.stop()
        done, _ = wait([future], timeout=60)
    assert done and isinstance(future.exception(), SigbenchError)


def test_a_node_that_does_not_see_the_results_folder_fails_the_point(
    local_ray: None, tmp_path: Path
) -> None:
    config = validate_config({}, "test")
    with make_executor(1, fake_runs.fake_train, kind="ray") as executor:
        future = executor.submit(config, tmp_path / "elsewhere", SILENT)
        with pytest.raises(SigbenchError, match="no such folder on node .*same path"):
            future.result(timeout=60)
    assert not (tmp_path / "elsewhere").exists()


def test_each_run_asks_for_its_threads_and_a_gpu_when_it_trains_on_one() -> None:
    assert task_resources(validate_config({}, "test")) == {"num_cpus": 1, "num_gpus": 0}
    config = validate_config({"train": {"num_threads": 3, "device": "cuda"}}, "test")
    assert task_resources(config) == {"num_cpus": 3, "num_gpus": 1}


def test_without_ray_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` sees when it is absent
    with pytest.raises(
        SigbenchError, match=r"^--executor ray needs Ray.*pip install 'sigbench\[ray\]'$"
    ):
        make_executor(1, kind="ray")
