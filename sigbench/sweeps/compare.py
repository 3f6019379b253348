"""``compare``: a head-to-head of model kinds on one task, each tuned on the same budget.

For each model kind: an Optuna study (:class:`~sigbench.sweeps.tune.Tuner`) of ``trials``
trials over the kind's own search space (declared with the kind), choosing on a validation
score only; then the chosen config retrained at ``seeds`` seeds (the best trial's own run is
seed ``seed`` and is reused). Every trial and seed is an ordinary run, claimed and locked
per run, so a killed comparison loses no finished run and the same command continues; more
seeds later train only the new ones. The test scores read for the comparison are those of
the final seeded runs (:mod:`sigbench.reporting.compare`).

Equal budgets: every model gets the same number of trials, the base config's epoch cap and
early-stopping rule (per-model overrides may not change them) and, optionally, the same
tuning wall time (``budget_minutes``: no trial is started once a model's study has used it).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import optuna
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sigbench.config import ExperimentConfig, read_yaml, validate_config
from sigbench.errors import SigbenchError
from sigbench.options import TUNE_METRICS
from sigbench.progress import Progress
from sigbench.reporting.compare import ModelResult
from sigbench.runs import rundir
from sigbench.sweeps.base import Executor
from sigbench.sweeps.compare_latency import current_timing, time_models, timed_runs, with_latency
from sigbench.sweeps.runner import OnTrained, SweepOutcome
from sigbench.sweeps.scheduler import GridSweep, seed_points
from sigbench.sweeps.space import SearchSpace, kind_space
from sigbench.sweeps.study import decode_params, open_study, trial_config
from sigbench.sweeps.tune import FINISHED, Tuner, study_seconds
from sigbench.sweeps.tune_outputs import best_trial

# What every model trains under alike: a per-model override may not change these.
EQUAL_BUDGET_KEYS = ("train.epochs", "train.patience", "train.monitor")
SPEC_FILE = "compare.yaml"


class CompareSpec(BaseModel):
    """What a comparison is: the one settings object the CLI options and a compare YAML
    both fill (``config`` is the experiment spec, relative to the compare YAML)."""

    model_config = ConfigDict(extra="forbid")

    config: str | None = None
    models: list[str] = Field(min_length=1)
    trials: int = Field(8, ge=1)
    seeds: int = Field(3, ge=1)
    metric: Literal[TUNE_METRICS] = "val_acc"
    budget_minutes: float | None = Field(None, gt=0)
    name: str | None = None
    per_model: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("models")
    @classmethod
    def _known_kinds(cls, models: list[str]) -> list[str]:
        from sigbench.models import list_models

        known = list_models()
        for kind in models:
            if kind not in known:
                raise ValueError(f"{kind!r} is not a model kind; choose from {', '.join(known)}")
        if len(set(models)) != len(models):
            raise ValueError(f"{models}: a model is listed twice")
        return models


def read_spec(path: Path | None, given: dict[str, Any]) -> CompareSpec:
    """A compare YAML's settings (none without ``path``) with ``given`` (CLI options) over
    them; its ``config`` is taken relative to the YAML's folder."""
    raw = read_yaml(path) if path is not None else {}
    if not isinstance(raw, dict):
        raise SigbenchError(f"{path}: expected a mapping with models, trials, seeds, ...")
    if path is not None and raw.get("config") is not None:
        raw["config"] = str(path.parent / raw["config"])
    merged = {**raw, **{key: value for key, value in given.items() if value is not None}}
    return check_spec(merged, str(path) if path is not None else "compare")


def check_spec(raw: dict[str, Any], source: str) -> CompareSpec:
    """``raw`` as a :class:`CompareSpec`, or one line naming each bad key and its value."""
    try:
        spec = CompareSpec(**raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(map(str, error["loc"])) or "compare"
            if error["type"] not in ("value_error", "missing"):  # pydantic's words omit it
                key = f"{key} = {error['input']!r}"
            problems.append(f"{source}: {key}: {error['msg'].removeprefix('Value error, ')}")
        several = f"{len(problems)} problems: " if len(problems) > 1 else ""
        raise SigbenchError(several + "; ".join(problems)) from None
    for kind, overrides in spec.per_model.items():
        if kind not in spec.models:
            raise SigbenchError(f"{source}: per_model.{kind}: {kind} is not among the models")
        for key in overrides:
            if key in EQUAL_BUDGET_KEYS or key == "model.kind":
                raise SigbenchError(
                    f"{source}: per_model.{kind}.{key}: every model trains under the same "
                    f"{key}; set it for all of them (--set {key}=...)"
                )
    return spec


def is_compare_file(raw: object) -> bool:
    """A compare YAML names its models; an experiment spec never has that key."""
    return isinstance(raw, dict) and "models" in raw


@dataclass
class ModelPlan:
    """One model of the comparison: its base config (the kind's defaults, the per-model
    overrides), its search space and its study."""

    kind: str
    base: ExperimentConfig
    space: SearchSpace
    study: optuna.Study


def model_base(base: ExperimentConfig, kind: str, overrides: dict[str, Any]) -> ExperimentConfig:
    """``base`` with ``model`` replaced by ``kind``'s defaults, then the per-model overrides."""
    raw = base.model_dump(mode="json")
    raw["model"] = {"kind": kind}
    sets = [f"{key}={json.dumps(value)}" for key, value in overrides.items()]
    return validate_config(raw, f"compare: {kind}", sets)


def study_name(name: str, kind: str) -> str:
    return f"compare-{name}-{kind}"


def plan_models(
    results: Path, base: ExperimentConfig, spec: CompareSpec, name: str
) -> list[ModelPlan]:
    """Every model's base config, space and (created or joined) study, checked before any
    training: a bad key in a space or an override fails here."""
    plans = []
    for kind in spec.models:
        model = model_base(base, kind, spec.per_model.get(kind, {}))
        space = kind_space(kind, model)
        study = open_study(
            results, study_name(name, kind), metric=spec.metric, base=model, space=space,
            trials=spec.trials,
        )  # fmt: skip
        plans.append(ModelPlan(kind, model, space, study))
    return plans


def chosen_config(plan: ModelPlan) -> ExperimentConfig | None:
    """The best finished trial's config (chosen on validation only), or None before one."""
    best = best_trial(plan.study)
    if best is None:
        return None
    values = decode_params(plan.space, best.params)
    return trial_config(plan.base, values, f"{plan.kind}: trial {best.number}")


def final_points(plan: ModelPlan, seeds: int) -> list:
    chosen = chosen_config(plan)
    return [] if chosen is None else seed_points(chosen, seeds)


def model_result(plan: ModelPlan, results: Path, seeds: int) -> ModelResult:
    """What the comparison reports of one model, from its study and its final runs."""
    best = best_trial(plan.study)
    runs = [rundir.runs_dir(results) / point.run_id for point in final_points(plan, seeds)]
    finished = plan.study.get_trials(deepcopy=False, states=FINISHED)
    return ModelResult(
        plan.kind,
        runs,
        trials=len(finished),
        tuning_minutes=study_seconds(plan.study) / 60,
        best_values={} if best is None else decode_params(plan.space, best.params),
        val_score=None if best is None else best.value,
    )


def compare_folder(results: Path, name: str) -> Path:
    """Where a comparison's outputs go: ``RESULTS/compare/NAME/``."""
    return Path(results) / "compare" / name


def model_results(
    plans: list[ModelPlan], results: Path, name: str, seeds: int
) -> tuple[list[ModelResult], dict[str, Any] | None]:
    """Every model's result with the latency figures of the comparison's interleaved timing,
    and that timing, where it covers exactly the runs it would time now (no figures
    otherwise: never a mix of timings)."""
    models = [model_result(plan, results, seeds) for plan in plans]
    timing = current_timing(compare_folder(results, name), timed_runs(models))
    return with_latency(models, timing), timing


def _merge(into: SweepOutcome, part: SweepOutcome, label: str) -> None:
    """A model's sub-sweep counted in the comparison's outcome, its failures and runs in
    flight named with the model."""
    into.trained += part.trained
    into.skipped += part.skipped
    into.busy += part.busy
    into.pruned += part.pruned
    into.failed.update({f"{label} {key}": message for key, message in part.failed.items()})
    into.in_flight.update({run_id: f"{label} {what}" for run_id, what in part.in_flight.items()})


class CompareSweep:
    """The comparison as one :class:`~sigbench.sweeps.runner.Sweep`: per model its study,
    then its chosen config's seeds, model after model on one executor; then every model's
    timed run timed side by side, unless ``latency.json`` already timed those runs
    (``timed_now`` says which). ``threads``: the batch figure's (``train.num_threads``)."""

    kind = "compare"

    def __init__(
        self,
        plans: list[ModelPlan],
        results: Path,
        spec: CompareSpec,
        name: str,
        jobs: int = 1,
        threads: int | None = None,
    ) -> None:
        self.plans, self.results, self.spec, self.name, self.jobs = plans, results, spec, name, jobs
        self.threads = threads
        self.total = len(plans) * (spec.trials + spec.seeds)
        self.timed_now = False

    def run(
        self, executor: Executor, outcome: SweepOutcome, progress: Progress, on_trained: OnTrained
    ) -> None:
        budget = None if self.spec.budget_minutes is None else 60 * self.spec.budget_minutes
        for plan in self.plans:
            tuner = Tuner(
                plan.study, plan.base, plan.space, self.results,
                trials=self.spec.trials, metric=self.spec.metric, jobs=self.jobs, budget_s=budget,
            )  # fmt: skip
            self._part(tuner, plan.kind, executor, outcome, progress, on_trained)
            points = final_points(plan, self.spec.seeds)
            if not points:
                outcome.failed[plan.kind] = "no trial finished, so there is nothing to retrain"
                continue
            seeds = GridSweep(
                points, self.results, name=f"{plan.kind}", kind="seeds", wait_for_busy=True
            )
            self._part(seeds, plan.kind, executor, outcome, progress, on_trained)
        self._time(outcome, progress)

    def _time(self, outcome: SweepOutcome, progress: Progress) -> None:
        """One interleaved timing of every model's timed run, unless the written one covers
        exactly these runs; a run that cannot be timed is a failure of the comparison, and
        the table is still written (without latency)."""
        models = [model_result(plan, self.results, self.spec.seeds) for plan in self.plans]
        runs = timed_runs(models)
        folder = compare_folder(self.results, self.name)
        if not runs or current_timing(folder, runs) is not None:
            return
        try:
            time_models(runs, folder, self.threads, progress)
        except (SigbenchError, OSError) as exc:
            outcome.failed["latency timing"] = str(exc)
            return
        self.timed_now = True

    def _part(
        self,
        sweep: Tuner | GridSweep,
        label: str,
        executor: Executor,
        outcome: SweepOutcome,
        progress: Progress,
        on_trained: OnTrained,
    ) -> None:
        part = SweepOutcome(sweep.kind, sweep.name, self.results, sweep.total)
        try:
            sweep.run(executor, part, progress, on_trained)
        finally:
            _merge(outcome, part, label)


def spec_record(
    spec: CompareSpec, base: ExperimentConfig, config: Path, overrides: list[str], name: str
) -> dict[str, Any]:
    """What is written beside the outputs: the comparison's settings, the data and the
    budget every model trained under."""
    return {
        **spec.model_dump(mode="json", exclude={"config", "name"}),
        "name": name,
        "config": str(config),
        "overrides": list(overrides),
        "data": base.data.model_dump(mode="json"),
        "train": {
            key.split(".")[1]: getattr(base.train, key.split(".")[1]) for key in EQUAL_BUDGET_KEYS
        },
        "seed": base.seed,
        "written": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
