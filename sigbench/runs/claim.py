"""Claiming a run before training it: the one rule ``train``, the sweeps and ``tune`` share.

A run id names a resolved config, so the same config always lands in the same folder. To
train it a process *claims* it: a finished run is left alone (unless retrained on purpose),
a run another process holds is reported busy (or waited for), and otherwise the run's lock
is taken (:mod:`sigbench.runs.locks`), the finished check repeated (it may have finished
while we looked), and the partial folders of dead processes removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from sigbench.runs import rundir
from sigbench.runs.locks import RunLock, holder, remove_dead_partials, try_lock


class ClaimState(str, Enum):
    finished = "finished"  # trained before: nothing to do
    busy = "busy"  # another live process holds its lock
    claimed = "claimed"  # ours to train: the lock is held


@dataclass
class Claim:
    """What claiming ``run_id`` found; a claimed one holds the lock until :meth:`release`
    (or the end of a ``with`` block)."""

    run_id: str
    run: Path
    state: ClaimState
    lock: RunLock | None = None
    holder: str = ""  # who holds it, when busy

    @property
    def claimed(self) -> bool:
        return self.state is ClaimState.claimed

    def release(self) -> None:
        """Let go of the lock; a partial folder this process left (its run stopped before
        publishing) goes with it, so nothing half-written remains."""
        if self.lock is not None:
            remove_dead_partials(self.run.parent.parent, self.run_id, mine=True)
            self.lock.release()
            self.lock = None

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def claim(
    results: Path,
    run_id: str,
    *,
    retrain: bool = False,
    wait: bool = False,
    on_wait: Callable[[str], object] | None = None,
) -> Claim:
    """Claim ``run_id`` under ``results`` for training.

    ``retrain`` claims a run that is finished already (``train --force``), unless another
    process finished it while this one waited. ``wait`` waits for a busy run's holder
    (``on_wait(holder)`` is told once, before waiting) instead of reporting it busy.
    """
    run = rundir.runs_dir(results) / run_id
    finished_before = rundir.is_finished(run)
    if finished_before and not retrain:
        return Claim(run_id, run, ClaimState.finished)
    lock = try_lock(results, run_id)
    if lock is None:
        who = holder(results, run_id)
        if not wait:
            return Claim(run_id, run, ClaimState.busy, holder=who)
        if on_wait is not None:
            on_wait(who)
        lock = try_lock(results, run_id, wait=True)
        assert lock is not None  # a waiting lock returns only once held
    if rundir.is_finished(run) and (not retrain or not finished_before):
        lock.release()  # finished while we looked (or waited)
        return Claim(run_id, run, ClaimState.finished)
    remove_dead_partials(results, run_id)
    return Claim(run_id, run, ClaimState.claimed, lock)
