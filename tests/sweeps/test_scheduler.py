"""Running grids: skip finished runs, redo killed ones, share work through per-run locks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sigbench.config import ExperimentConfig, load_config
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress
from sigbench.runs import locks, rundir
from sigbench.runs.locks import remove_dead_partials, try_lock
from sigbench.sweeps.executors import ProcessPoolRunner, SerialExecutor
from sigbench.sweeps.grids import Grid
from sigbench.sweeps.scheduler import GridPoint, expand_grid, run_grid
from tests.helpers.fake_runs import fake_train
from tests.helpers.progress import RecordingProgress

REPO = Path(__file__).resolve().parents[2]
GRID = Grid("small", {"signature.depth": [1, 2, 3], "model.neurons": [10, 20]})


@pytest.fixture
def points() -> list[GridPoint]:
    return expand_grid(load_config(REPO / "configs" / "demo.yaml"), GRID)


class CountingRun:
    """``fake_train`` that records what it trained and can fail or be interrupted on cue."""

    def __init__(self, fail: dict[str, BaseException] | None = None) -> None:
        self.trained: list[str] = []
        self.fail = fail or {}

    def __call__(self, config: ExperimentConfig, results: Path, progress: Progress) -> Path:
        if config.run_id() in self.fail:
            rundir.partial_dir(results, config.run_id())  # what a killed run leaves behind
            raise self.fail[config.run_id()]
        self.trained.append(config.run_id())
        return fake_train(config, results, progress)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_more_seeds_train_only_the_new_seeds(tmp_path: Path) -> None:
    base = load_config(REPO / "configs" / "demo.yaml")
    run = CountingRun()
    three = expand_grid(base, GRID, seeds=3)
    assert run_grid(three, tmp_path, SerialExecutor(run)).trained == [p.run_id for p in three]
    assert len(run.trained) == 18
    again = run_grid(expand_grid(base, GRID, seeds=3), tmp_path, SerialExecutor(run))
    assert again.trained == [] and len(again.skipped) == 18
    four = expand_grid(base, GRID, seeds=4)
    outcome = run_grid(four, tmp_path, SerialExecutor(run))
    assert outcome.trained == [p.run_id for p in four if p.seed == 3]
    assert len(outcome.trained) == 6 and len(outcome.skipped) == 18


def test_second_sweep_skips_every_finished_run(tmp_path: Path, points: list[GridPoint]) -> None:
    run = CountingRun()
    first = run_grid(points, tmp_path, SerialExecutor(run))
    assert first.trained == [p.run_id for p in points] == run.trained
    second = run_grid(points, tmp_path, SerialExecutor(run))
    assert second.trained == [] and second.skipped == first.trained
    assert len(run.trained) == len(points)
    assert all(try_lock(tmp_path, p.run_id) is not None for p in points)  # none left held


def test_killed_runs_are_redone_and_their_leftovers_removed(
    tmp_path: Path, points: list[GridPoint]
) -> None:
    run_grid(points[:2], tmp_path, SerialExecutor(CountingRun()))
    runs = rundir.runs_dir(tmp_path)
    # A run folder missing its metrics, and a partial assembly of a process that died.
    (runs / points[0].run_id / rundir.METRICS_FILE).unlink()
    leftover = runs / f"{rundir.PARTIAL_PREFIX}{points[2].run_id}-{dead_pid()}"
    leftover.mkdir()
    run = CountingRun()
    outcome = run_grid(points, tmp_path, SerialExecutor(run))
    assert outcome.skipped == [points[1].run_id]
    assert run.trained[:2] == [points[0].run_id, points[2].run_id]
    assert not leftover.exists() and rundir.unfinished_runs(tmp_path) == []


def test_partial_folder_of_an_exited_unreaped_process_is_removed(tmp_path: Path) -> None:
    child = os.fork()
    if child == 0:
        os._exit(0)
    try:  # a zombie until waited for: os.kill(pid, 0) still succeeds
        for _ in range(100):
            if locks._zombie(child):
                break
            time.sleep(0.05)
        leftover = rundir.runs_dir(tmp_path) / f"{rundir.PARTIAL_PREFIX}demo-abc-{child}"
        leftover.mkdir(parents=True)
        remove_dead_partials(tmp_path, "demo-abc")
        assert not leftover.exists()
    finally:
        os.waitpid(child, 0)


def test_partial_folder_of_a_live_process_is_kept(tmp_path: Path) -> None:
    mine = rundir.partial_dir(tmp_path, "demo-abc")  # named with this live pid
    remove_dead_partials(tmp_path, "demo-abc")
    assert mine.is_dir()


def test_points_locked_by_another_process_are_skipped(
    tmp_path: Path, points: list[GridPoint]
) -> None:
    holder = try_lock(tmp_path, points[1].run_id)  # a second open file: flock conflicts
    assert holder is not None
    run = CountingRun()
    outcome = run_grid(points, tmp_path, SerialExecutor(run))
    assert outcome.busy == [points[1].run_id] and points[1].run_id not in run.trained
    holder.release()
    assert run_grid(points, tmp_path, SerialExecutor(run)).trained == [points[1].run_id]


def test_lock_of_a_live_process_holds_and_dies_with_it(tmp_path: Path) -> None:
    path = rundir.runs_dir(tmp_path) / ".lock-demo-abc"
    path.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(path)!r}, os.O_CREAT | os.O_RDWR)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert try_lock(tmp_path, "demo-abc") is None
    finally:
        holder.kill()
        holder.wait()
    lock = try_lock(tmp_path, "demo-abc")  # the stale file of a dead pid is taken over
    assert lock is not None
    assert path.read_text().splitlines()[0] == str(os.getpid())
    assert locks.holder(tmp_path, "demo-abc").startswith(f"process {os.getpid()} on ")
    lock.release()
    assert try_lock(tmp_path, "demo-abc") is not None  # released: anyone may take it


def test_stale_lock_file_with_a_dead_pid_is_taken_over(tmp_path: Path) -> None:
    path = rundir.runs_dir(tmp_path) / ".lock-demo-abc"
    path.parent.mkdir(parents=True)
    path.write_text(f"{dead_pid()}\n")
    lock = try_lock(tmp_path, "demo-abc")
    assert lock is not None
    lock.release()


def test_user_error_fails_one_point_and_the_rest_still_run(
    tmp_path: Path, points: list[GridPoint]
) -> None:
    bad = points[2].run_id
    run = CountingRun({bad: SigbenchError("model.kind: too few streams")})
    outcome = run_grid(points, tmp_path, SerialExecutor(run))
    assert outcome.failed == {bad: "model.kind: too few streams"}
    assert len(outcome.trained) == len(points) - 1


def test_on_trained_sees_each_published_run_but_no_failed_or_skipped_one(
    tmp_path: Path, points: list[GridPoint]
) -> None:
    bad = points[2].run_id
    run = CountingRun({bad: SigbenchError("too few streams")})
    seen: list[tuple[str, bool]] = []

    def on_trained(run_id: str) -> None:
        seen.append((run_id, rundir.is_finished(rundir.runs_dir(tmp_path) / run_id)))

    run_grid(points[:4], tmp_path, SerialExecutor(run), on_trained=on_trained)
    assert seen == [(p.run_id, True) for p in points[:4] if p.run_id != bad]
    seen.clear()
    run_grid(points[:4], tmp_path, SerialExecutor(CountingRun()), on_trained=on_trained)
    assert seen == [(bad, True)]  # the others were skipped as finished


def test_a_bug_stops_the_sweep_and_releases_locks(tmp_path: Path, points: list[GridPoint]) -> None:
    run = CountingRun({points[1].run_id: RuntimeError("boom")})
    with pytest.raises(RuntimeError, match="boom"):
        run_grid(points, tmp_path, SerialExecutor(run))
    assert run.trained == [points[0].run_id]
    assert all(try_lock(tmp_path, p.run_id) is not None for p in points)  # none left held


def test_ctrl_c_keeps_finished_runs_and_resumes_the_rest(
    tmp_path: Path, points: list[GridPoint]
) -> None:
    interrupted = CountingRun({points[2].run_id: KeyboardInterrupt()})
    with pytest.raises(KeyboardInterrupt):
        run_grid(points, tmp_path, SerialExecutor(interrupted))
    assert [p.name for p in rundir.finished_runs(tmp_path)] == sorted(interrupted.trained)
    # The interrupted run's partial folder went with its lock: nothing half-written remains.
    assert rundir.unfinished_runs(tmp_path) == []
    resumed = CountingRun()
    outcome = run_grid(points, tmp_path, SerialExecutor(resumed))
    assert resumed.trained == [p.run_id for p in points[2:]]
    assert len(outcome.skipped) == 2


def test_process_pool_trains_every_point_and_relays_worker_bars(
    tmp_path: Path, points: list[GridPoint]
) -> None:
    progress = RecordingProgress()
    with ProcessPoolRunner(2, fake_train) as executor:
        assert executor.threads >= 1
        outcome = run_grid(points, tmp_path, executor, progress, name="small")
    assert sorted(outcome.trained) == sorted(p.run_id for p in points)
    assert len(rundir.finished_runs(tmp_path)) == len(points)
    opened = [task.description for task in progress.tasks]
    assert opened[0] == "grid small"
    assert f"{points[0].run_id}: training" in opened


def warning_train(config: ExperimentConfig, results: Path, progress: Progress) -> Path:
    """``fake_train`` that warns as a data loader does, the same text on every run."""
    logging.getLogger("sigbench.data").warning("skipped 3 unreadable images")
    return fake_train(config, results, progress)


def test_worker_warnings_reach_the_parent_and_show_once(
    tmp_path: Path, points: list[GridPoint], capsys: pytest.CaptureFixture[str]
) -> None:
    from sigbench.cli import output

    output.setup_logging()
    with ProcessPoolRunner(2, warning_train) as executor:
        outcome = run_grid(points, tmp_path, executor, SILENT, name="small")
    assert len(outcome.trained) == len(points) == 6
    shown = capsys.readouterr().err
    assert shown.count("skipped 3 unreadable images") == 1
    assert "sigbench.data:" not in shown  # the text as the parent would log it
