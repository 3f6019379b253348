"""``sigbench list``: each axis or search-space key as one line of YAML flow text."""

from __future__ import annotations

import yaml

from sigbench.cli.list_command import _rows, _space_text
from sigbench.models import list_models


def test_a_long_axis_stays_one_line_a_grid_file_can_take() -> None:
    """The models grid's 20 kinds: PyYAML folds flow text at 80 columns, which put a line
    break and indentation inside the list `sigbench list grids` shows."""
    kinds = list_models()
    text = _space_text({"model.kind": kinds, "train.lr": {"low": 1e-4, "high": 1e-2}})
    assert "\n" not in text
    axis, lr = text.split("; ")
    assert yaml.safe_load(axis) == {"model.kind": kinds}
    assert yaml.safe_load(lr) == {"train.lr": {"low": 1e-4, "high": 1e-2}}


def test_a_backend_s_description_does_not_repeat_its_name() -> None:
    """The backend column names it; four module docstrings start 'lanes: ...'."""
    rows = _rows("backends")
    assert {row["backend"] for row in rows} >= {"lanes", "torch", "iisignature"}
    for row in rows:
        assert row["description"] and not row["description"].startswith(f"{row['backend']}:")
