"""Accuracy reads one way everywhere: percent with two decimals, from one function."""

from __future__ import annotations

import pandas as pd

from sigbench.errors import percent
from sigbench.reporting.tables import display_frame, score_text


def test_percent_writes_a_fraction_as_percent_with_two_decimals() -> None:
    assert percent(0.925) == "92.50" and percent(1.0) == "100.00" and percent(0.0) == "0.00"
    assert percent(0.786149) == "78.61"
    assert percent(0.0125, signed=True) == "+1.25" and percent(-0.005, signed=True) == "-0.50"


def test_tables_show_accuracy_points_as_the_summaries_show_the_fraction() -> None:
    assert score_text("acc", 78.6149) == percent(0.786149) == "78.61"
    assert score_text("f1_macro", 0.78614) == "0.7861"  # not an accuracy: its own decimals
    frame = pd.DataFrame(
        [{"acc_mean": 78.61, "acc_std": 2.0, "acc_ci95_low": 74.31, "acc_ci95_high": 82.91}]
    )
    assert display_frame(frame).iloc[0]["acc"] == "78.61 ± 4.30"
