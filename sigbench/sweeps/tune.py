"""``tune``: ask the study for trials until it holds the number asked for, each an ordinary run.

Every trial is the base config with the values it drew, so its run id says whether that run
was already trained: a finished run is reused (its validation history is the trial's score),
another process's run in progress is waited for, any other is trained under the run's lock on
an executor (serial, process pool, Ray), reporting each epoch's validation score so the
median pruner can stop it. Counting and asking happen under a file lock in the study folder,
so processes sharing a study stop together at exactly ``trials`` finished (complete or
pruned) trials. Ctrl-C fails the trials in flight and queues copies, so the next run redoes
them; after a kill -9 their heartbeats go silent and the next run does the same.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path

import optuna
from optuna.trial import TrialState

from sigbench.config import ExperimentConfig
from sigbench.errors import SigbenchError
from sigbench.progress import Progress, Task
from sigbench.runs import rundir
from sigbench.runs.claim import Claim, ClaimState, claim
from sigbench.sweeps.base import Executor
from sigbench.sweeps.runner import OnTrained, SweepOutcome
from sigbench.sweeps.space import SearchSpace
from sigbench.sweeps.study import (
    HEARTBEAT_S,
    MAX_RETRIES,
    TrialJob,
    TrialResult,
    epoch_score,
    folder_lock,
    make_pruner,
    run_score,
    storage_url,
    study_dir,
    study_storage,
    suggest,
    trial_config,
)
from sigbench.sweeps.tune_outputs import write_trials_csv

POLL_S = 1.0  # how often the driver looks at runs another process holds
FAILURES_IN_A_ROW = 3  # then the cause is the setup, not one trial's values
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def study_seconds(study: optuna.Study) -> float:
    """The wall time the study's settled trials took, summed (every process, every session):
    what a tuning budget counts."""
    return sum(
        trial.duration.total_seconds()
        for trial in study.get_trials(deepcopy=False)
        if trial.duration is not None
    )


@dataclass
class _Held:
    trial: optuna.Trial
    config: ExperimentConfig
    claim: Claim | None = None


class _Heartbeats:
    """Beats for every trial this process holds, so a dead process's trials go stale.

    Through a storage of its own on the study's database (Optuna's optimize() beats the same
    way), with trial ids from the storage's public lookups.
    """

    def __init__(self, url: str, study_name: str) -> None:
        self.storage = study_storage(url, heartbeat=True)
        self.study_id = self.storage.get_study_id_from_name(study_name)
        self.trials: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def trial_id(self, trial: optuna.Trial) -> int:
        return self.storage.get_trial_id_from_study_id_trial_number(self.study_id, trial.number)

    def add(self, trial: optuna.Trial) -> int:
        trial_id = self.trial_id(trial)
        self.storage.record_heartbeat(trial_id)
        self.trials.add(trial_id)
        return trial_id

    def discard(self, trial: optuna.Trial) -> None:
        self.trials.discard(self.trial_id(trial))

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            for trial_id in list(self.trials):
                self.storage.record_heartbeat(trial_id)

    def __enter__(self) -> _Heartbeats:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Tuner:
    """One session of a study, as a :class:`~sigbench.sweeps.runner.Sweep`: asks, runs and
    tells trials until ``trials`` are finished. Its outcome's ``skipped`` are the runs reused
    as trials, ``failed`` is keyed ``trial N``."""

    kind = "study"

    def __init__(
        self,
        study: optuna.Study,
        base: ExperimentConfig,
        space: SearchSpace,
        results: Path,
        *,
        trials: int,
        metric: str,
        jobs: int = 1,
        budget_s: float | None = None,
    ) -> None:
        """``jobs`` caps the trials in flight: the sampler learns from finished trials, so
        even a Ray cluster with room for every trial gets only this many at once. With
        ``budget_s``, no trial is started once the study's trials took that long in all
        (:func:`study_seconds`, over every session)."""
        self.study, self.base, self.space, self.results = study, base, space, Path(results)
        self.name, self.total, self.target, self.metric = study.study_name, trials, trials, metric
        self.jobs, self.budget_s = jobs, budget_s
        self.folder = study_dir(results, study.study_name)
        self.url = storage_url(results, study.study_name)
        self.running: dict[Future, _Held] = {}
        self.waiting: list[_Held] = []  # runs another process is training
        self.starting: _Held | None = None  # being submitted (a serial run trains in submit)
        self.failures_in_a_row = 0
        self.shown = 0

    def run(
        self, executor: Executor, outcome: SweepOutcome, progress: Progress, on_trained: OnTrained
    ) -> None:
        self.executor, self.outcome, self.progress = executor, outcome, progress
        self.on_trained = on_trained
        self.slots = max(1, min(self.jobs, executor.slots))
        self.heartbeats = _Heartbeats(self.url, self.name)
        with self.heartbeats, progress.task(f"tune {self.name}", total=self.target) as bar:
            try:
                self._loop(bar)
            except BaseException:
                self.executor.stop()
                self._abandon()
                raise
            finally:
                for held in self._held():
                    if held.claim is not None:
                        held.claim.release()

    def _held(self) -> list[_Held]:
        """Every trial this process holds and has not told the study about yet."""
        starting = [self.starting] if self.starting is not None else []
        return [*self.running.values(), *self.waiting, *starting]

    def _loop(self, bar: Task) -> None:
        while True:
            while len(self.running) + len(self.waiting) < self.slots:
                if not self._start_next():
                    break
            self._show(bar)
            if not self.running and not self.waiting:
                if self._finished() >= self.target or self._budget_spent():
                    return
                time.sleep(POLL_S)  # other processes' trials (or silent ones) decide
                continue
            if self.running:
                done, _ = wait(self.running, timeout=POLL_S, return_when=FIRST_COMPLETED)
                for future in done:
                    self._settle(future, self.running.pop(future))
            else:
                time.sleep(POLL_S)
            for held in list(self.waiting):
                self.waiting.remove(held)
                self._claim(held)

    def _budget_spent(self) -> bool:
        return self.budget_s is not None and study_seconds(self.study) >= self.budget_s

    def _finished(self) -> int:
        return len(self.study.get_trials(deepcopy=False, states=FINISHED))

    def _show(self, bar: Task) -> None:
        finished = self._finished()
        bar.advance(finished - self.shown)
        self.shown = finished
        best = self._best()
        if best is not None:
            bar.update(
                description=f"tune {self.name}: best {self.metric} "
                f"{best.value:.4f} (trial {best.number})"
            )

    def _best(self) -> optuna.trial.FrozenTrial | None:
        try:
            return self.study.best_trial
        except ValueError:  # no complete trial yet
            return None

    def _start_next(self) -> bool:
        """Ask for one more trial if the study still needs one; False when it does not."""
        if self._budget_spent():
            return False
        with folder_lock(self.folder):
            optuna.storages.fail_stale_trials(self.study)
            states = [t.state for t in self.study.get_trials(deepcopy=False)]
            in_hand = sum(state in (*FINISHED, TrialState.RUNNING) for state in states)
            if in_hand >= self.target:
                return False
            trial = self.study.ask()
            self.heartbeats.add(trial)  # a trial without a heartbeat could never go stale
        source = f"{self.space.source} (trial {trial.number})"
        try:
            config = trial_config(self.base, suggest(trial, self.space), source)
        except SigbenchError as exc:
            self._fail(_Held(trial, self.base), str(exc))
            return True
        trial.set_user_attr("run_id", config.run_id())
        self._claim(_Held(trial, config))
        return True

    def _claim(self, held: _Held) -> None:
        """Reuse a finished run, wait for one in progress elsewhere, or start training it."""
        run_id = held.config.run_id()
        found = claim(self.results, run_id)
        if found.state is ClaimState.finished:
            self._reuse(held, found.run)
            return
        if found.state is ClaimState.busy:
            self.waiting.append(held)
            return
        held.claim = found
        job = TrialJob(
            self.url,
            self.name,
            self.heartbeats.trial_id(held.trial),
            self.metric,
            make_pruner(self.target, self.base.train.epochs),
        )
        self.starting = held
        self.outcome.in_flight[run_id] = f"trial {held.trial.number}"
        future = self.executor.submit(held.config, self.results, self.progress, job)
        self.running[future], self.starting = held, None

    def _reuse(self, held: _Held, run: Path) -> None:
        """A finished run is this trial: its per-epoch scores and kept epoch, not retrained."""
        try:
            history = rundir.read_history(run)
            value = run_score(history, rundir.read_metrics(run)["best_epoch"], self.metric)
            for row in history:
                held.trial.report(epoch_score(row, self.metric), int(row["epoch"]))
        except (SigbenchError, OSError, KeyError, ValueError) as exc:
            self._fail(held, f"{run}: {exc}")
            return
        held.trial.set_user_attr("reused", True)
        self._tell(held, value)
        self.outcome.skipped.append(held.config.run_id())

    def _settle(self, future: Future, held: _Held) -> None:
        """A user error fails one trial (a head too big for the image); a bug stops tuning."""
        self.outcome.in_flight.pop(held.config.run_id(), None)
        if held.claim is not None:
            held.claim.release()
        try:
            result: TrialResult = future.result()
        except SigbenchError as exc:
            self._fail(held, str(exc))
            return
        if result.pruned:
            self._tell(held, None, TrialState.PRUNED)
            self.outcome.pruned.append(held.config.run_id())
        else:
            self._tell(held, result.value)
            self.outcome.trained.append(held.config.run_id())
            self.on_trained(held.config.run_id())

    def _tell(
        self, held: _Held, value: float | None, state: TrialState = TrialState.COMPLETE
    ) -> None:
        # skip_if_finished: another process may have judged this trial stale meanwhile.
        self.study.tell(held.trial, value, state=state, skip_if_finished=True)
        self.heartbeats.discard(held.trial)
        write_trials_csv(self.study, self.space, self.metric, self.folder)
        if state != TrialState.FAIL:
            self.failures_in_a_row = 0

    def _fail(self, held: _Held, message: str) -> None:
        held.trial.set_user_attr("error", message)
        self._tell(held, None, TrialState.FAIL)
        self.outcome.failed[f"trial {held.trial.number}"] = message
        self.failures_in_a_row += 1
        if self.failures_in_a_row >= FAILURES_IN_A_ROW:
            raise SigbenchError(
                f"{FAILURES_IN_A_ROW} trials in a row failed; the last one: {message}"
            )

    def _abandon(self) -> None:
        """Interrupted: the trials in flight fail, and copies with their values wait in the
        study, so the same command redoes them first."""
        retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRIES)
        for held in self._held():
            self.study.tell(held.trial, state=TrialState.FAIL, skip_if_finished=True)
            frozen = self.study.get_trials(deepcopy=False)[held.trial.number]
            retry(self.study, frozen)
