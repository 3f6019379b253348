"""Writing a figure: PNG through a temporary file and a rename, so no reader sees half of one."""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.figure import Figure


def save_figure(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.tmp-{os.getpid()}.png")
    figure.savefig(temporary, format="png", dpi=110, bbox_inches="tight")
    os.replace(temporary, path)
    return path
