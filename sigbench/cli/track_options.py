"""``--track`` and ``--track-uri`` (declared in :mod:`sigbench.cli.options`): opening the
trackers a command logs its finished runs to, and their summary lines."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from sigbench.cli.output import console

if TYPE_CHECKING:
    from sigbench.tracking import Tracking


def open_tracking(
    flags: list[Enum] | None,
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
