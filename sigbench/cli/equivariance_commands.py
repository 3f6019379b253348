"""What ``eval --equivariance`` shows: Delta(s) per layer and scale on a run's test split."""

from __future__ import annotations

from pathlib import Path

from sigbench.cli.output import RichProgress, console, records_table

SHOWN = ["layer", "form", "map_shape", "scale", "delta"]


def equivariance_scales(scales: str | None) -> list[float]:
    """``--scales`` as factors (checked before any work), or the default list."""
    from sigbench.experiments.equivariance import DEFAULT_SCALES, parse_scales

    return parse_scales(scales) if scales is not None else list(DEFAULT_SCALES)


def show_equivariance(run: Path, factors: list[float], max_images: int | None) -> None:
    """Compute, write (equivariance.csv / .png in the run) and print the table."""
    from sigbench.experiments.equivariance import equivariance_frame
    from sigbench.reporting.equivariance import write_equivariance

    frame = equivariance_frame(run, factors, max_images=max_images, progress=RichProgress())
    files = write_equivariance(run, frame)
    title = f"equivariance error of {run} on {frame['n_images'].iloc[0]} test images"
    console.print(records_table(title, frame[SHOWN].to_dict("records")))
    console.print(f"wrote {', '.join(map(str, files))}")
