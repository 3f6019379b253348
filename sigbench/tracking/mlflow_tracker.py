"""MLflow: one MLflow run per finished sigbench run; a sweep's runs nest under one parent.

Every MLflow run carries its sigbench run id as the tag ``sigbench.run_id``, and a sweep's
parent carries the sweep's key as ``sigbench.sweep``: before logging, the experiment is
searched for them, so logging the same runs again (a re-run sweep, ``report --track``) adds
nothing, and a run a crash left half logged (not FINISHED) is deleted and logged anew.

The default store needs no server: ``sqlite:///<results>/mlflow.db``, artifacts under
``<results>/mlartifacts``. ``--track-uri`` or ``MLFLOW_TRACKING_URI`` name another one.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sigbench.errors import SigbenchError
from sigbench.tracking.record import (
    GIT_COMMIT_TAG,
    HISTORY_CLOCK,
    HISTORY_STEP,
    TrackedRun,
    TrackedSweep,
    source_tags,
)

INSTALL_HINT = "pip install 'sigbench[mlflow]'"
RUN_ID_TAG = "sigbench.run_id"
SWEEP_TAG = "sigbench.sweep"
PARENT_TAG = "mlflow.parentRunId"  # what the MLflow UI nests runs by
GIT_TAG = "mlflow.source.git.commit"  # the UI shows it on the run page
KIND_TAG = "mlflow.experimentKind"
STORE_FILE = "mlflow.db"
ARTIFACTS_DIR = "mlartifacts"
BATCH_PARAMS = 100  # MLflow's per-call limits for log_batch
BATCH_METRICS = 1000
UNSAFE_NAME = re.compile(r"[^/\w.\- :]")  # what MLflow refuses in metric and param names


def default_uri(results: Path) -> str:
    return f"sqlite:///{(Path(results) / STORE_FILE).resolve()}"


def tracking_uri(results: Path, uri: str | None = None) -> str:
    """``--track-uri``, else ``MLFLOW_TRACKING_URI``, else the SQLite file in ``results``."""
    return uri or os.environ.get("MLFLOW_TRACKING_URI") or default_uri(results)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _quoted(value: str) -> str:
    """A value for an MLflow search filter."""
    return f'"{value}"' if "'" in value else f"'{value}'"


class MlflowTracker:
    """Logs finished runs to one MLflow store, a sweep's runs under the sweep's parent run."""

    name = "mlflow"

    def __init__(self, results: Path, uri: str | None = None) -> None:
        try:
            # An optional heavy dependency: imported only when --track mlflow asks for it.
            from mlflow.entities import Metric, Param, RunTag
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise SigbenchError(f"--track mlflow needs MLflow: {INSTALL_HINT}") from None
        self._entities = Metric, Param, RunTag
        self.uri = tracking_uri(results, uri)
        # Only the embedded default's artifacts are ours to place; a server decides its own.
        self._artifact_root = (
            (Path(results) / ARTIFACTS_DIR).resolve() if self.uri == default_uri(results) else None
        )
        if self._artifact_root is not None:
            Path(results).mkdir(parents=True, exist_ok=True)
        self.client = MlflowClient(tracking_uri=self.uri)
        self._parents: dict[str, str] = {}  # sweep key -> its parent's MLflow run id
        self.logged = 0
        self.already = 0

    # --- experiments and the runs already in them -------------------------------------

    def experiment_id(self, name: str) -> str:
        """The experiment called ``name``, created (or restored from the bin) when needed."""
        experiment = self.client.get_experiment_by_name(name)
        if experiment is None:
            location = (
                (self._artifact_root / name).as_uri() if self._artifact_root is not None else None
            )
            # The kind tag makes MLflow's UI show a training experiment's runs, not GenAI traces.
            return self.client.create_experiment(
                name, artifact_location=location, tags={KIND_TAG: "custom_model_development"}
            )
        if experiment.lifecycle_stage == "deleted":
            self.client.restore_experiment(experiment.experiment_id)
        return experiment.experiment_id

    def _find(self, experiment: str, tag: str, value: str) -> Any | None:
        found = self.client.search_runs(
            [experiment], filter_string=f"tags.`{tag}` = {_quoted(value)}", max_results=10
        )
        return found[0] if found else None

    def _parent_run(self, experiment: str, sweep: TrackedSweep) -> str:
        """The sweep's parent run: found by its key, else started (and given its params)."""
        if sweep.key not in self._parents:
            found = self._find(experiment, SWEEP_TAG, sweep.key)
            if found is not None:
                self._parents[sweep.key] = found.info.run_id
            else:
                tags = _with_git(
                    {SWEEP_TAG: sweep.key, f"sigbench.{sweep.kind}": sweep.name, **source_tags()}
                )
                parent = self.client.create_run(experiment, tags=tags, run_name=sweep.name)
                self._parents[sweep.key] = parent.info.run_id
                self._log_batch(parent.info.run_id, params=_params(sweep.params))
        return self._parents[sweep.key]

    # --- logging ----------------------------------------------------------------------

    def log(self, run: TrackedRun, sweep: TrackedSweep | None = None) -> bool:
        """Log ``run`` unless it is logged already; True when it was logged now.

        A sweep's runs go to the experiment named after the sweep, under its parent run;
        any other run goes to the experiment named after its config.
        """
        experiment = self.experiment_id(sweep.name if sweep else run.experiment)
        existing = self._find(experiment, RUN_ID_TAG, run.run_id)
        if existing is not None and existing.info.status == "FINISHED":
            self.already += 1
            return False
        if existing is not None:  # a crash left it half logged
            self.client.delete_run(existing.info.run_id)
        tags = _with_git({**run.tags, **run.text_metrics})
        if sweep is not None:
            tags[PARENT_TAG] = self._parent_run(experiment, sweep)
            tags[f"sigbench.{sweep.kind}"] = sweep.name
        created = self.client.create_run(
            experiment, start_time=_ms(run.started_at), tags=tags, run_name=run.run_id
        )
        run_id = created.info.run_id
        self._log_batch(run_id, params=_params(run.params), metrics=self._metrics(run))
        for artifact in run.artifacts:
            folder = artifact.parent.as_posix()
            self.client.log_artifact(
                run_id, str(run.path / artifact), artifact_path=None if folder == "." else folder
            )
        self.client.set_terminated(run_id, "FINISHED", end_time=_ms(run.finished_at))
        self.logged += 1
        return True

    def _metrics(self, run: TrackedRun) -> list[Any]:
        """Final scores at step 0, then each history column as steps (one per epoch)."""
        metric = self._entities[0]
        finished = _ms(run.finished_at)
        entries = [metric(_name(k), v, finished, 0) for k, v in run.metrics.items()]
        for row in run.history:
            step = int(row.get(HISTORY_STEP, 0))
            stamp = _ms(run.started_at + row.get(HISTORY_CLOCK, 0.0))
            entries.extend(
                metric(_name(k), v, stamp, step) for k, v in row.items() if k != HISTORY_STEP
            )
        return entries

    def _log_batch(
        self, run_id: str, *, params: dict[str, str], metrics: Sequence[Any] = ()
    ) -> None:
        _, param, _ = self._entities
        entries = [param(key, value) for key, value in params.items()]
        for chunk in _chunks(entries, BATCH_PARAMS):
            self.client.log_batch(run_id, params=chunk)
        for chunk in _chunks(metrics, BATCH_METRICS):
            self.client.log_batch(run_id, metrics=chunk)

    def close(self) -> None:
        """Mark the sweeps' parents finished as of now (a re-run finds and reuses them)."""
        for parent in self._parents.values():
            self.client.set_terminated(parent, "FINISHED", end_time=_ms(time.time()))

    def summary(self) -> str:
        served = self.uri.startswith(("http://", "https://", "databricks"))
        where = self.uri if served else f"browse: mlflow ui --backend-store-uri {self.uri}"
        return f"mlflow: logged {self.logged} runs, {self.already} already there ({where})"


def _name(key: str) -> str:
    return UNSAFE_NAME.sub("_", key)


def _params(values: dict[str, Any]) -> dict[str, str]:
    return {_name(key): str(value) for key, value in values.items()}


def _with_git(tags: dict[str, str]) -> dict[str, str]:
    """``tags`` plus MLflow's own commit tag, which its UI shows on the run page."""
    commit = tags.get(GIT_COMMIT_TAG)
    return {**tags, GIT_TAG: commit} if commit else tags
