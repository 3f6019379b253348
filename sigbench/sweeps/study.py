"""The Optuna side of ``tune``: the study's storage, sampler and pruner, the values a trial
suggests, and the job that trains one trial (in this process, a pool worker or on Ray).

The study is an SQLite file under ``results/tune/<study>/`` (Optuna's RDB storage, nothing to
start), so any process that sees the folder can join it. The driver records a heartbeat for
each trial it holds; a trial whose process died stops beating and the next ``fail_stale``
marks it failed and queues a copy with the same values, so it is redone.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from sigbench.config import ExperimentConfig, validate_config
from sigbench.errors import SigbenchError
from sigbench.experiments.train import train_run
from sigbench.progress import Progress
from sigbench.sweeps.space import Choice, SearchSpace

INSTALL_HINT = "pip install 'sigbench[tune]'"
try:
    import optuna
except ImportError:
    raise SigbenchError(
        f"sigbench tune needs Optuna, which is not installed: {INSTALL_HINT}"
    ) from None

# Directions of the validation scores a study can optimise (the history's column names).
METRICS = {"val_acc": "maximize", "val_loss": "minimize", "val_hter": "minimize"}
HEARTBEAT_S = 5  # a held trial's heartbeat period
GRACE_S = 20  # a trial silent this long belongs to a dead process
MAX_RETRIES = 2  # a trial that kills its process every time is not redone forever
DB_FILE = "study.db"

optuna.logging.set_verbosity(optuna.logging.WARNING)  # the CLI shows progress itself
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
# ask/tell with heartbeats: the driver records them itself (sweeps.tune), which Optuna's
# optimize() would otherwise do.
warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")


def study_dir(results: Path, name: str) -> Path:
    return Path(results) / "tune" / name


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """One process at a time in a study folder: creating the database, counting and asking
    (the kernel drops the lock of a process that dies)."""
    with FileLock(folder / ".ask-lock", thread_local=False):
        yield


def storage_url(results: Path, name: str) -> str:
    return f"sqlite:///{(study_dir(results, name) / DB_FILE).resolve()}"


def study_storage(url: str, *, heartbeat: bool) -> optuna.storages.RDBStorage:
    """SQLite with a long busy timeout: several processes write to one file."""
    beats: dict[str, Any] = {}
    if heartbeat:
        beats = {
            "heartbeat_interval": HEARTBEAT_S,
            "grace_period": GRACE_S,
            "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(
                max_retry=MAX_RETRIES
            ),
        }
    return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}}, **beats)


def make_pruner(trials: int, epochs: int) -> optuna.pruners.BasePruner:
    """A median pruner that waits for a few finished trials and lets the first fifth of the
    epochs (at least one) pass: steps are epoch numbers, and it prunes from step
    ``n_warmup_steps`` on."""
    return optuna.pruners.MedianPruner(
        n_startup_trials=min(5, max(2, trials // 3)), n_warmup_steps=max(1, epochs // 5) + 1
    )


def open_study(
    results: Path,
    name: str,
    *,
    metric: str,
    base: ExperimentConfig,
    space: SearchSpace,
    trials: int,
) -> optuna.Study:
    """Create the study or join it; refuse one started with another metric, space or config.

    TPE is seeded from ``seed`` plus the trials already there, so a fresh study with the same
    seed proposes the same trials, and a resumed one does not repeat its first proposals.
    """
    if metric not in METRICS:
        raise SigbenchError(f"--metric {metric!r}: choose one of {', '.join(METRICS)}")
    if not name or "/" in name or name.startswith("."):
        raise SigbenchError(f"--study {name!r}: must be a plain folder name (no '/', no '.' first)")
    study_dir(results, name).mkdir(parents=True, exist_ok=True)
    with folder_lock(study_dir(results, name)):  # two processes must not both create tables
        study = optuna.create_study(
            storage=study_storage(storage_url(results, name), heartbeat=True),
            study_name=name,
            direction=METRICS[metric],
            pruner=make_pruner(trials, base.train.epochs),
            load_if_exists=True,
        )
    started = {"metric": metric, "space": space.fingerprint(), "config": base.fingerprint()}
    what = {"metric": "--metric", "space": "search space", "config": "base config (with --set)"}
    for key, value in started.items():
        before = study.user_attrs.get(key)
        if before is None:
            study.set_user_attr(key, value)
        elif before != value:
            raise SigbenchError(
                f"--study {name}: {study_dir(results, name)} was started with another "
                f"{what[key]} ({before}); resume with the same one or name a new --study"
            )
    study.sampler = optuna.samplers.TPESampler(
        seed=base.seed + len(study.get_trials(deepcopy=False)),
        n_startup_trials=max(2, min(10, trials // 3)),
        constant_liar=True,  # parallel trials do not all propose the same point
    )
    return study


# --- a trial's values and config -----------------------------------------------------------


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _encoded(choice: Choice) -> list[Any]:
    """Optuna stores scalar choices only: lists (e.g. conv_channels) travel as JSON text."""
    if all(_scalar(value) for value in choice.values):
        return list(choice.values)
    return [json.dumps(value) for value in choice.values]


def decode_params(space: SearchSpace, params: dict[str, Any]) -> dict[str, Any]:
    """A trial's stored values as config values (JSON-encoded choices decoded)."""
    values = {}
    for key, value in params.items():
        param = space.params.get(key)
        encoded = isinstance(param, Choice) and _encoded(param) != list(param.values)
        values[key] = json.loads(value) if encoded else value
    return values


def suggest(trial: optuna.Trial, space: SearchSpace) -> dict[str, Any]:
    """One value per searched key, from the sampler (or fixed, for a queued retry)."""
    for key, param in space.params.items():
        if isinstance(param, Choice):
            trial.suggest_categorical(key, _encoded(param))
        elif param.integer:
            trial.suggest_int(key, param.low, param.high, step=param.step or 1, log=param.log)
        else:
            trial.suggest_float(key, param.low, param.high, step=param.step, log=param.log)
    return decode_params(space, trial.params)


def trial_config(base: ExperimentConfig, values: dict[str, Any], source: str) -> ExperimentConfig:
    """The base config with a trial's values: an ordinary run config, so equal values give
    the run id ``sigbench train`` would give them."""
    overrides = [f"{key}={json.dumps(value)}" for key, value in values.items()]
    return validate_config(base.model_dump(mode="json"), source, overrides)


# --- the score of a run, and the job that trains one trial ----------------------------------


def epoch_score(row: dict[str, float], metric: str) -> float:
    if metric not in row:
        need = "a two-class task" if metric == "val_hter" else "data.val_split > 0"
        raise SigbenchError(f"--metric {metric}: this run has no {metric} (it needs {need})")
    return float(row[metric])


def run_score(history: list[dict[str, float]], best_epoch: int, metric: str) -> float:
    """The metric of the epoch the run kept (``train.monitor`` chooses it): what its saved
    model scores on the validation split."""
    if not history:
        raise SigbenchError("the run has no training history to score")
    return epoch_score(history[max(best_epoch, 1) - 1], metric)


@dataclass(frozen=True)
class TrialResult:
    pruned: bool
    value: float | None  # the run's score; None when pruned
    epochs: int


@dataclass(frozen=True)
class TrialJob:
    """Train one trial's run, reporting each epoch's score so the pruner can stop it.

    Picklable (plain fields and a pruner), so a pool worker or a Ray task runs it; it joins
    the study through its file, which must therefore be on storage the worker sees.
    """

    url: str
    study: str
    trial_id: int
    metric: str
    pruner: optuna.pruners.BasePruner

    def __call__(self, config: ExperimentConfig, results: Path, progress: Progress) -> TrialResult:
        study = optuna.load_study(
            study_name=self.study,
            storage=study_storage(self.url, heartbeat=False),
            pruner=self.pruner,
            sampler=optuna.samplers.RandomSampler(),  # never samples: the driver did
        )
        trial = optuna.trial.Trial(study, self.trial_id)
        epochs = [0]

        def report(row: dict[str, float]) -> None:
            epochs[0] = int(row["epoch"])
            trial.report(epoch_score(row, self.metric), epochs[0])
            if trial.should_prune():
                raise optuna.TrialPruned()

        try:
            result = train_run(config, results, progress=progress, on_epoch=report)
        except optuna.TrialPruned:
            return TrialResult(True, None, epochs[0])
        value = run_score(result.history, result.metrics["best_epoch"], self.metric)
        return TrialResult(False, value, len(result.history))
