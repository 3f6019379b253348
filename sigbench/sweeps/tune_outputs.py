"""What a study leaves in ``results/tune/<study>/``: trials.csv, best.yaml, plots, and the
best trial's test score, read once at the end and never used to choose."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from sigbench.reporting.tune_plots import plot_history, plot_importances, plot_params
from sigbench.runs import rundir
from sigbench.sweeps.space import Choice, Range, SearchSpace
from sigbench.sweeps.study import METRICS, decode_params, study_dir
from sigbench.training.multilabel import headline_score

log = logging.getLogger(__name__)

TRIALS_CSV = "trials.csv"
BEST_YAML = "best.yaml"
TEST_KEYS = ("accuracy", "f1_macro", "hter")  # what the summary quotes of the best run


@dataclass
class StudySummary:
    counts: dict[str, int]  # trial state -> trials in the study
    files: list[Path] = field(default_factory=list)
    best_number: int | None = None
    best_value: float | None = None
    best_values: dict[str, Any] = field(default_factory=dict)  # the searched keys
    best_run: Path | None = None
    test: dict[str, float] = field(default_factory=dict)  # the best run's test scores


def trials_frame(study: optuna.Study, space: SearchSpace, metric: str) -> pd.DataFrame:
    """One row per trial: number, state, every searched key, the metric, run id, seconds."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        values = decode_params(space, trial.params)
        rows.append(
            {
                "number": trial.number,
                "state": trial.state.name.lower(),
                **{key: values.get(key) for key in space.params},
                metric: trial.value,
                "run_id": trial.user_attrs.get("run_id"),
                "seconds": round(trial.duration.total_seconds(), 1) if trial.duration else None,
                "reused": bool(trial.user_attrs.get("reused", False)),
                "error": trial.user_attrs.get("error"),
            }
        )
    columns = ["number", "state", *space.params, metric, "run_id", "seconds", "reused", "error"]
    # object columns: a trial cut off before it drew values must not turn 256 into 256.0
    return pd.DataFrame(rows, columns=columns, dtype=object)


def write_trials_csv(study: optuna.Study, space: SearchSpace, metric: str, folder: Path) -> Path:
    path = folder / TRIALS_CSV
    rundir.write_text_atomic(path, trials_frame(study, space, metric).to_csv(index=False))
    return path


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    try:
        return study.best_trial
    except ValueError:  # no complete trial
        return None


def _importances(study: optuna.Study, seed: int) -> dict[str, float]:
    """Optuna's fANOVA evaluator (its default, PED-ANOVA, needs dozens of trials to rank
    anything); empty while too few complete trials differ to tell the keys apart."""
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            importances = optuna.importance.get_param_importances(study, evaluator=evaluator)
        except (RuntimeError, ValueError, ZeroDivisionError) as exc:
            caught.append(warnings.WarningMessage(str(exc), UserWarning, "", 0))
    if caught:
        log.info("no parameter importances yet: %s", caught[-1].message)
        return {}
    return importances


def write_outputs(
    study: optuna.Study, space: SearchSpace, results: Path, metric: str, seed: int = 0
) -> StudySummary:
    """Every output file from the study as it stands (any process may have added trials)."""
    folder = study_dir(results, study.study_name)
    trials = study.get_trials(deepcopy=False)
    summary = StudySummary({state.name.lower(): 0 for state in TrialState})
    for trial in trials:
        summary.counts[trial.state.name.lower()] += 1
    frame = trials_frame(study, space, metric)
    summary.files.append(write_trials_csv(study, space, metric, folder))
    if not frame.empty:
        maximize = METRICS[metric] == "maximize"
        summary.files.append(plot_history(frame, metric, maximize, folder))
        keys = {
            key: list(p.values) if isinstance(p, Choice) else None
            for key, p in space.params.items()
        }
        log_keys = {key for key, p in space.params.items() if isinstance(p, Range) and p.log}
        summary.files.append(plot_params(frame, keys, metric, log_keys, folder))
    importances = _importances(study, seed)
    if importances:
        summary.files.append(plot_importances(importances, folder))
    best = best_trial(study)
    if best is None:
        return summary
    summary.best_number, summary.best_value = best.number, best.value
    summary.best_values = decode_params(space, best.params)
    run = rundir.runs_dir(results) / best.user_attrs["run_id"]
    if rundir.is_finished(run):
        summary.best_run = run
        # The run folder's own config: the full resolved config that was trained.
        best_yaml = folder / BEST_YAML
        rundir.write_text_atomic(best_yaml, (run / rundir.CONFIG_FILE).read_text())
        summary.files.append(best_yaml)
        metrics = rundir.read_metrics(run)  # the only test score tune ever reads
        # A multi-label run's mean_accuracy, mean_f1, mean_hter stand in for these.
        scores = {key: headline_score(metrics, key) for key in TEST_KEYS}
        summary.test = {key: value for key, value in scores.items() if value is not None}
    return summary
