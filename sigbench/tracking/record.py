"""What a tracker logs about one finished run, read from its run folder alone.

Trackers never see a run in flight: they read the files a finished run left (config,
metrics, history, pictures), so a run logged afterwards (``report --track``) looks the same
as one logged right after training, and tracking can never change a run id or a metric.
"""

from __future__ import annotations

import csv
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

import sigbench
from sigbench.config import OUTPUT_KEYS
from sigbench.runs import rundir

TENSORBOARD_DIR = "tensorboard"
# Not artifacts: the checkpoint (the run folder keeps it) and what trackers write themselves.
NOT_ARTIFACTS = {rundir.CHECKPOINT_FILE, TENSORBOARD_DIR}
MAX_ARTIFACT_BYTES = 20 * 1024 * 1024
GIT_COMMIT_TAG = "sigbench.git_commit"
HISTORY_STEP = "epoch"
HISTORY_CLOCK = "seconds"  # seconds since training started, per epoch


@dataclass
class TrackedRun:
    """One finished run as trackers see it: flat params, numeric metrics, epochs, files."""

    path: Path
    run_id: str
    experiment: str  # the config's name: where a run outside any sweep is logged
    params: dict[str, Any]  # dotted config key -> value (lists and None as text)
    metrics: dict[str, float]  # dotted metrics.json key -> number
    text_metrics: dict[str, str]  # metrics.json's scalar strings (e.g. feature_cache)
    history: list[dict[str, float]]  # one row per epoch, ``epoch`` included
    artifacts: list[Path]  # relative to ``path``
    tags: dict[str, str] = field(default_factory=dict)
    finished_at: float = 0.0  # seconds since the epoch: when metrics.json was written
    train_seconds: float = 0.0

    @property
    def started_at(self) -> float:
        return self.finished_at - self.train_seconds


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay values."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def param_value(value: Any) -> bool | int | float | str:
    """A config value as trackers take it: scalars as they are, lists and None as YAML text."""
    if isinstance(value, bool | int | float | str):
        return value
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _read_history(path: Path) -> list[dict[str, float]]:
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return [
            {key: float(value) for key, value in row.items() if value not in (None, "")}
            for row in csv.DictReader(handle)
        ]


def _artifacts(run: Path) -> list[Path]:
    files = []
    for path in sorted(run.rglob("*")):
        relative = path.relative_to(run)
        if (
            path.is_file()
            and relative.parts[0] not in NOT_ARTIFACTS
            and not any(part.startswith(".") for part in relative.parts)
            and path.stat().st_size <= MAX_ARTIFACT_BYTES
        ):
            files.append(relative)
    return files


@cache
def git_commit() -> str | None:
    """The commit of the sigbench source in use, when it is a git checkout."""
    try:
        done = subprocess.run(
            ["git", "-C", str(Path(sigbench.__file__).parent), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def source_tags() -> dict[str, str]:
    """Which sigbench logged a run: its version, and its commit when there is one."""
    tags = {"sigbench.version": sigbench.__version__}
    commit = git_commit()
    if commit:
        tags[GIT_COMMIT_TAG] = commit
    return tags


def read_tracked_run(run: Path) -> TrackedRun:
    """Everything trackers log about the finished run folder ``run``."""
    run = Path(run)
    config = yaml.safe_load((run / rundir.CONFIG_FILE).read_text()) or {}
    metrics = rundir.read_metrics(run)
    scalars = {
        key: value
        for key, value in flatten(metrics).items()
        if isinstance(value, int | float | str) and not isinstance(value, bool)
    }
    tags = {"sigbench.run_id": run.name, "sigbench.seed": str(config.get("seed", ""))}
    return TrackedRun(
        path=run,
        run_id=run.name,
        experiment=str(config.get("name") or run.name.rsplit("-", 1)[0]),
        params={
            key: param_value(value)
            for key, value in flatten(config).items()
            if key.split(".")[0] not in OUTPUT_KEYS
        },
        metrics={k: float(v) for k, v in scalars.items() if not isinstance(v, str)},
        text_metrics={k: v for k, v in scalars.items() if isinstance(v, str)},
        history=_read_history(run / rundir.HISTORY_FILE),
        artifacts=_artifacts(run),
        tags={**tags, **source_tags()},
        finished_at=(run / rundir.METRICS_FILE).stat().st_mtime,
        train_seconds=float(metrics.get("train_seconds", 0.0)),
    )


@dataclass(frozen=True)
class TrackedSweep:
    """A grid or a study: its runs are logged as children of one parent run.

    ``key`` names the sweep across re-runs (the grid, the base config and the overrides), so
    a re-run finds its parent again instead of starting a new one.
    """

    kind: str  # "grid" or "study"
    name: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)
