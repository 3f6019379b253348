"""``signature``: look at what ImageSig sees for one image (the paper's Figure 1)."""

from __future__ import annotations

from pathlib import Path

import typer

from sigbench.cli.options import choice_enum, examples, parse_choice
from sigbench.cli.output import console
from sigbench.options import (
    AUTO_BACKEND,
    MAX_DEPTH,
    MIN_DEPTH,
    PATH_TRANSFORMS,
    SIGNATURE_BACKENDS,
)

PathTransform = choice_enum("PathTransform", PATH_TRANSFORMS)
BACKEND_CHOICES = (AUTO_BACKEND, *SIGNATURE_BACKENDS)
SignatureBackend = choice_enum("SignatureBackend", BACKEND_CHOICES)


def signature(
    image: Path = typer.Argument(..., metavar="IMAGE", help="An image file."),
    out: Path = typer.Option(..., "--out", "-o", help="PNG to write the figure to."),
    depth: int = typer.Option(
        4, "--depth", min=MIN_DEPTH, max=MAX_DEPTH, help="Truncation depth of the signature."
    ),
    size: int = typer.Option(64, "--size", min=2, help="Resize to this square first."),
    two_direction: bool = typer.Option(False, "--two-direction", help="Add the columns."),
    log_sig: bool = typer.Option(False, "--log-sig", help="Log-signature (Lyndon basis)."),
    path: PathTransform = typer.Option(
        "none", "--path", parser=parse_choice(PathTransform), help=f"{' | '.join(PATH_TRANSFORMS)}."
    ),
    gray: bool = typer.Option(False, "--gray", help="Read the image as one channel."),
    backend: SignatureBackend = typer.Option(
        AUTO_BACKEND,
        "--backend",
        parser=parse_choice(SignatureBackend),
        help=f"Signature backend: {' | '.join(BACKEND_CHOICES)}.",
    ),
    npy: Path = typer.Option(None, "--npy", help="Also save the matrix as a .npy file."),
) -> None:
    """Draw the image, its row streams and its signature matrix as a heatmap."""
    import numpy as np

    from sigbench.data import read_images
    from sigbench.errors import SigbenchError
    from sigbench.reporting.signature_figure import draw_signature_figure, signature_matrix
    from sigbench.signature.spec import SignatureSpec

    path, backend = path.value, backend.value
    spec = SignatureSpec(depth, two_direction, log_sig, path, backend)  # checks every option
    if not image.is_file():
        raise SigbenchError(f"{image}: no such image file")
    pixels = read_images([image], size, 1 if gray else 3)[0]
    matrix = signature_matrix(pixels, spec)
    title = f"{image.name}: {size}x{size}, depth {depth}, path {path}" + (
        ", rows + columns" if two_direction else ", rows"
    )
    draw_signature_figure(pixels, matrix, out, title)
    console.print(f"wrote {out} (signature matrix {matrix.shape[0]} x {matrix.shape[1]})")
    if npy is not None:
        np.save(npy, matrix)
        console.print(f"wrote {npy}")


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "sigbench signature photo.png --out fig.png",
            "sigbench signature photo.png --depth 3 --two-direction --path time --out fig.png",
        )
    )(signature)
