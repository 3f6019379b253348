"""The paper's Figure 1 for one image: the image, its row streams, the signature matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure

from sigbench.signature.compute import SignaturePlan
from sigbench.signature.spec import SignatureSpec

STREAMS_SHOWN = 4


def signature_matrix(image: np.ndarray, spec: SignatureSpec) -> np.ndarray:
    """The (streams x length) signature matrix of one uint8 image."""
    return SignaturePlan(spec)(image[None])[0]


def draw_signature_figure(image: np.ndarray, matrix: np.ndarray, out: Path, title: str) -> Path:
    """Write a three-panel PNG: the image, a few row streams per channel, the heatmap.

    Drawn on matplotlib's Agg canvas through :class:`~matplotlib.figure.Figure` (no pyplot,
    so no global backend state), like every other picture.
    """
    pixels = image if image.ndim == 3 else image[..., None]
    height = pixels.shape[0]
    rows = np.linspace(0, height - 1, STREAMS_SHOWN).round().astype(int)
    colours = ["tab:red", "tab:green", "tab:blue"] if pixels.shape[-1] == 3 else ["black"]

    figure = Figure(figsize=(15, 4.5))
    axes = figure.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.3, 2.2]})
    axes[0].imshow(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels, cmap="gray")
    for row in rows:
        axes[0].axhline(row, color="yellow", linewidth=0.8)
    axes[0].set_title("image (yellow: streams drawn)")
    axes[0].axis("off")

    for offset, row in enumerate(rows):
        for channel, colour in enumerate(colours):
            values = pixels[row, :, channel] / 255.0 + 1.1 * offset
            axes[1].plot(values, color=colour, linewidth=1)
    axes[1].set_yticks(1.1 * np.arange(len(rows)) + 0.5, [f"row {r}" for r in rows])
    axes[1].set_xlabel("column (point along the path)")
    axes[1].set_title("row streams: channel value along the row")

    scale = float(np.abs(matrix).max()) or 1.0
    shown = axes[2].imshow(
        matrix,
        aspect="auto",
        cmap="coolwarm",
        norm=SymLogNorm(linthresh=scale * 1e-4, vmin=-scale, vmax=scale),
        interpolation="nearest",
    )
    axes[2].set_xlabel("signature term")
    axes[2].set_ylabel("stream")
    axes[2].set_title(f"signature matrix {matrix.shape[0]} x {matrix.shape[1]}")
    figure.colorbar(shown, ax=axes[2], shrink=0.85)
    figure.suptitle(title)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    return out
