"""``--track`` and ``--track-uri``: the trackers a command logs its finished runs to."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sigbench.cli.output import console

if TYPE_CHECKING:
    from sigbench.tracking import Tracking


class TrackerName(str, Enum):
    """``--track``: an Enum so the help lists the choices."""

    mlflow = "mlflow"
    tensorboard = "tensorboard"


TrackOption = typer.Option(
    None,
    "--track",
    help="Also log each finished run to mlflow (default store: RESULTS/mlflow.db) or "
    "tensorboard (RESULTS/runs/<run-id>/tensorboard/); repeatable; adds to the config's "
    "track: list. An output only: run ids and metrics do not change.",
)
TrackUriOption = typer.Option(
    None,
    "--track-uri",
    help="MLflow tracking URI (a server, another database); default: MLFLOW_TRACKING_URI, "
    "else sqlite:///RESULTS/mlflow.db.",
)


def open_tracking(
    flags: list[TrackerName] | None,
    config_track: list[str],
    results: Path,
    uri: str | None,
) -> Tracking:
    """The trackers asked for, opened now so a missing extra fails before any training."""
    from sigbench.tracking import Tracking

    return Tracking([*config_track, *(flag.value for flag in flags or [])], results, uri=uri)


def show_tracking(tracking: Tracking) -> None:
    for line in tracking.summaries():
        console.print(line, highlight=False, soft_wrap=True)
