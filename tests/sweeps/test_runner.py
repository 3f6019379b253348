"""The sweep runner and claim(): one outcome for every sweep, Ctrl-C that says what stopped,
runs another process holds waited for or reported, and locks a dead holder never keeps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sigbench.config import ExperimentConfig, dump_config, load_config
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress
from sigbench.runs import rundir
from sigbench.runs.claim import ClaimState, claim
from sigbench.runs.locks import holder, lock_path, try_lock
from sigbench.sweeps.grids import Grid
from sigbench.sweeps.runner import ExecutorSettings, SweepInterrupted, run_sweep
from sigbench.sweeps.scheduler import GridPoint, GridSweep, expand_grid, seed_points
from tests.helpers.fake_runs import fake_train

REPO = Path(__file__).resolve().parents[2]
GRID = Grid("small", {"signature.depth": [1, 2, 3]})


@pytest.fixture
def base() -> ExperimentConfig:
    return load_config(REPO / "configs" / "demo.yaml")


@pytest.fixture
def points(base: ExperimentConfig) -> list[GridPoint]:
    return expand_grid(base, GRID)


def other_process(results: Path, config: ExperimentConfig, seconds: float) -> subprocess.Popen:
    """Another process holding ``config``'s run lock: it trains the run (``fake_train``)
    in ``seconds`` and exits; returns once it holds the lock."""
    spec = results / f"{config.run_id()}.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(dump_config(config))
    code = (
        "import time\n"
        "from tests.helpers.fake_runs import fake_train\n"  # cwd=REPO is on the child's path
        "from sigbench.config import read_yaml, validate_config\n"
        "from sigbench.progress import SILENT\n"
        "from sigbench.runs.locks import try_lock\n"
        f"config = validate_config(read_yaml({str(spec)!r}), written_by_sigbench=True)\n"
        f"lock = try_lock({str(results)!r}, config.run_id()); print('locked', flush=True)\n"
        f"time.sleep({seconds}); fake_train(config, {str(results)!r}, SILENT)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert child.stdout.readline().strip() == "locked"
    return child


def interrupt_at(run_id: str):  # noqa: ANN201
    """A run function that trains like ``fake_train`` but is Ctrl-C'd at ``run_id``."""

    def run(config: ExperimentConfig, results: Path, progress: Progress) -> Path:
        if config.run_id() == run_id:
            rundir.partial_dir(results, run_id)  # half written when the key was pressed
            raise KeyboardInterrupt
        return fake_train(config, results, progress)

    return run


def test_claim_says_finished_busy_or_claimed_and_retrains_only_when_asked(
    tmp_path: Path, base: ExperimentConfig
) -> None:
    run_id = base.run_id()
    held = claim(tmp_path, run_id)
    assert held.state is ClaimState.claimed and held.lock is not None
    other = claim(tmp_path, run_id)
    assert other.state is ClaimState.busy
    assert other.holder.startswith("process ") and "since" in other.holder
    fake_train(base, tmp_path, SILENT)
    held.release()
    assert claim(tmp_path, run_id).state is ClaimState.finished
    with claim(tmp_path, run_id, retrain=True) as again:
        assert again.claimed
    relock = try_lock(tmp_path, run_id)
    assert relock is not None  # the with block let go
    relock.release()
    with pytest.raises(KeyboardInterrupt), claim(tmp_path, run_id, retrain=True):
        partial = rundir.partial_dir(tmp_path, run_id)  # Ctrl-C while writing the run
        raise KeyboardInterrupt
    assert not partial.exists()  # leaving the block on an error let go and tidied up too
    assert try_lock(tmp_path, run_id) is not None


def test_a_waiting_claim_gets_the_run_its_holder_finished(
    tmp_path: Path, base: ExperimentConfig
) -> None:
    child = other_process(tmp_path, base, 1.0)
    told: list[str] = []
    waited = claim(tmp_path, base.run_id(), wait=True, on_wait=told.append)
    assert child.wait() == 0
    assert waited.state is ClaimState.finished
    assert told == [f"process {child.pid} on " + told[0].split(" on ", 1)[1]]


def test_a_killed_holder_never_blocks(tmp_path: Path) -> None:
    """The lock of a process killed with SIGKILL is free at once (the kernel dropped it)."""
    path = lock_path(tmp_path, "demo-abc")
    code = (
        "import sys, time; from sigbench.runs.locks import try_lock; "
        f"lock = try_lock({str(tmp_path)!r}, 'demo-abc'); print('locked', flush=True); "
        "time.sleep(60)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert child.stdout.readline().strip() == "locked"
        assert try_lock(tmp_path, "demo-abc") is None
        assert holder(tmp_path, "demo-abc").startswith(f"process {child.pid} on ")
    finally:
        child.kill()
        child.wait()
    assert path.read_text().splitlines()[0] == str(child.pid)  # what the dead one wrote
    lock = try_lock(tmp_path, "demo-abc")
    assert lock is not None
    lock.release()


def test_run_sweep_returns_one_outcome_and_a_second_sweep_trains_nothing(
    tmp_path: Path, points: list[GridPoint]
) -> None:
    settings = ExecutorSettings(run_fn=fake_train)
    first = run_sweep(GridSweep(points, tmp_path, name="small"), tmp_path, settings)
    assert first.trained == [p.run_id for p in points] and not first.interrupted
    assert first.finished_runs() == [rundir.runs_dir(tmp_path) / p.run_id for p in points]
    second = run_sweep(GridSweep(points, tmp_path, name="small"), tmp_path, settings)
    assert second.trained == [] and second.skipped == first.trained
    assert second.kind == "grid" and second.total == 3


def test_ctrl_c_raises_sweep_interrupted_naming_the_point_and_keeping_finished_runs(
    tmp_path: Path, points: list[GridPoint]
) -> None:
    settings = ExecutorSettings(run_fn=interrupt_at(points[1].run_id))
    with pytest.raises(SweepInterrupted) as stopped:
        run_sweep(GridSweep(points, tmp_path, name="small"), tmp_path, settings)
    outcome = stopped.value.outcome
    assert isinstance(stopped.value, KeyboardInterrupt)
    assert outcome.interrupted and outcome.trained == [points[0].run_id]
    assert outcome.in_flight == {points[1].run_id: "point 2 of 3 (signature.depth=2, seed 0)"}
    assert [run.name for run in rundir.finished_runs(tmp_path)] == [points[0].run_id]
    assert rundir.unfinished_runs(tmp_path) == []  # the half-written run went with its lock


def test_seeds_wait_for_a_seed_another_process_holds_then_count_it_finished(
    tmp_path: Path, base: ExperimentConfig
) -> None:
    seeds = seed_points(base, 2)
    child = other_process(tmp_path, seeds[1].config, 1.0)
    waits: list[tuple[str, str]] = []
    sweep = GridSweep(
        seeds,
        tmp_path,
        name=base.run_id(),
        kind="seeds",
        wait_for_busy=True,
        on_wait=lambda run_id, who: waits.append((run_id, who)),
    )
    outcome = run_sweep(sweep, tmp_path, ExecutorSettings(run_fn=fake_train))
    assert child.wait() == 0
    assert outcome.trained == [seeds[0].run_id] and outcome.skipped == [seeds[1].run_id]
    assert outcome.busy == [] and [run_id for run_id, _ in waits] == [seeds[1].run_id]
    assert waits[0][1].startswith(f"process {child.pid} on ")


def test_executor_settings_refuse_an_address_without_ray() -> None:
    with pytest.raises(SigbenchError, match="--address names a Ray cluster: add --executor ray"):
        ExecutorSettings(address="head:6379").check()
