"""Writing a figure through a temporary file and a rename, so no reader sees half of one.

The format is the path's suffix: ``.png`` (110 dpi), or a vector ``.pdf`` / ``.svg`` for print.
"""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.figure import Figure


def save_figure(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    figure.savefig(temporary, format=path.suffix.lstrip("."), dpi=110, bbox_inches="tight")
    os.replace(temporary, path)
    return path
