"""Fixtures of the end-to-end tests; their helpers are in ``tests/helpers/cli.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def fire_folder(color_folder: Callable[..., Path]) -> Path:
    """A tiny two-class ImageFolder of RGB JPEGs: reddish 'fire' and bluish 'no_fire', laid
    out as the fire dataset is (training_set/, test_set/)."""
    splits = {"training_set": 24, "test_set": 8}
    return color_folder("fire", splits, ("fire", "no_fire"), (48, 40), ".jpg")
