"""What ``eval --robustness`` and ``eval --tta`` show: accuracy under transforms, and with
test-time augmentation, on a run's test split."""

from __future__ import annotations

from pathlib import Path

from sigbench.cli.output import RichProgress, console, key_value_table, records_table
from sigbench.errors import percent

SHOWN = ["transform", "strength", "accuracy", "accuracy_change", "changed", "sig_change"]
SHOWN_AS = {"accuracy": "accuracy (%)", "accuracy_change": "accuracy_change (points)"}


def show_robustness(run: Path, names: list[str]) -> None:
    """Compute, write (robustness.csv / .png in the run) and print the robustness table of
    the transforms ``names`` (checked by ``parse_transforms`` before any work)."""
    from sigbench.experiments.robustness import robustness_frame
    from sigbench.reporting.robustness import write_robustness

    frame = robustness_frame(run, names, progress=RichProgress())
    files = write_robustness(run, frame)
    shown = frame[[c for c in SHOWN if frame[c].notna().any()]].astype(object)
    shown["accuracy"] = shown["accuracy"].map(percent)
    shown["accuracy_change"] = shown["accuracy_change"].map(lambda v: percent(v, signed=True))
    shown = shown.rename(columns=SHOWN_AS)
    console.print(records_table(f"robustness of {run}", shown.to_dict("records")))
    console.print(f"wrote {', '.join(map(str, files))}")


def show_tta(run: Path, tta: str) -> None:
    from sigbench.experiments.robustness import tta_scores

    scores = tta_scores(run, tta, progress=RichProgress())
    rows: dict[str, object] = {
        f"{key} (%)": percent(value) for key, value in scores.items() if key.startswith("accuracy")
    }
    rows["tta_gain (points)"] = percent(scores["tta_gain"], signed=True)
    rows["n_test"] = scores["n_test"]
    console.print(key_value_table(f"test-time augmentation ({tta}) of {run}", rows))
