"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ColorFolder = Callable[..., Path]


@pytest.fixture(scope="session")
def color_folder(tmp_path_factory: pytest.TempPathFactory) -> ColorFolder:
    """Writes a two-class ImageFolder of RGB noise, one class reddish and one bluish.

    ``splits`` maps split folder -> images per class; ``classes`` names the reddish class,
    then the bluish one; ``shape`` is (height, width); ``suffix`` picks the format.
    """

    def write(
        name: str,
        splits: dict[str, int],
        classes: tuple[str, str],
        shape: tuple[int, int],
        suffix: str,
    ) -> Path:
        root = tmp_path_factory.mktemp(name)
        rng = np.random.default_rng(0)
        for split, count in splits.items():
            for class_name, channel in zip(classes, (0, 2), strict=True):
                folder = root / split / class_name
                folder.mkdir(parents=True)
                for i in range(count):
                    pixels = rng.integers(0, 120, (*shape, 3), dtype=np.uint8)
                    pixels[..., channel] += 120
                    Image.fromarray(pixels).save(folder / f"{i}{suffix}")
        return root

    return write
