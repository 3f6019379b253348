"""What ``eval --equivariance`` shows: Delta per layer and scale (or angle) on a run's test
split."""

from __future__ import annotations

from pathlib import Path

from sigbench.cli.output import RichProgress, console, records_table

SHOWN = ["layer", "form", "map_shape", "delta"]


def equivariance_amounts(transform: str, scales: list[str], angles: list[str]) -> list[float]:
    """``--scales`` (for scale) or ``--angles`` (for rotate), each value of the repeated,
    comma-split option checked before any work, or the transform's default list."""
    from sigbench.errors import SigbenchError
    from sigbench.experiments.equivariance import (
        DEFAULT_ANGLES,
        DEFAULT_SCALES,
        check_transform,
        parse_angles,
        parse_scales,
    )

    if check_transform(transform) == "scale":
        if angles:
            raise SigbenchError("--angles goes with --transform rotate; scale takes --scales")
        return parse_scales(",".join(scales)) if scales else list(DEFAULT_SCALES)
    if scales:
        raise SigbenchError("--scales goes with --transform scale; rotate takes --angles")
    return parse_angles(",".join(angles)) if angles else list(DEFAULT_ANGLES)


def show_equivariance(
    run: Path, transform: str, amounts: list[float], max_images: int | None
) -> None:
    """Compute, write (equivariance[_rotate].csv / .png in the run) and print the table."""
    from sigbench.experiments.equivariance import equivariance_frame
    from sigbench.reporting.equivariance import amount_column, write_equivariance

    frame = equivariance_frame(
        run, amounts, transform=transform, max_images=max_images, progress=RichProgress()
    )
    files = write_equivariance(run, frame)
    title = f"{transform} equivariance error of {run} on {frame['n_images'].iloc[0]} test images"
    shown = [*SHOWN[:3], amount_column(frame), SHOWN[3]]
    console.print(records_table(title, frame[shown].to_dict("records")))
    console.print(f"wrote {', '.join(map(str, files))}")
