"""``eval --equivariance``: how far a finished run's features are from scale- or
rotation-equivariant (``--transform scale|rotate``).

For each named depth of the network (:func:`sigbench.models.named_layers`, read through
forward hooks) and each scale s (or angle a), Delta on the run's test images, in the form
:mod:`sigbench.training.equivariance` gives it: the equivariance form for spatial maps
(a CNN's stages; a Deep-Scale-Space stage with its scale axis folded into the channels), the
invariance form for feature vectors (the Dense(n) ``hidden`` layer every model ends in).

ImageSig's signature features are the model's input, not a layer: they are measured from
the inputs, per stream direction. The row streams' signatures form a map along the image's
vertical axis ((N, terms, rows), one spatial axis), which L_s resizes; each row's own
signature is what horizontal rescaling acts on, so the error there is what a stream's
reparametrisation leaves of it. The column streams are the same along the horizontal axis.

L_s acts on the input as on the maps: the uint8 test images, as floats in [0, 1], are
rescaled by :func:`~sigbench.training.equivariance.rescale` and rounded back to uint8; R_a
likewise by :func:`~sigbench.training.equivariance.rotate`. Under rotation the signature
maps, with one spatial axis, get the invariance form (a plane rotation does not act on a
stream axis; at 90 degrees it exchanges rows and columns). A group CNN's stages fold the
group axis into the channels, so their equivariance form compares a plain spatial rotation
and counts the group axis's cyclic shift as error; its ``group_pool`` and ``pooled`` depths
are where rotation acts only on space.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from sigbench.data.splits import rng_for
from sigbench.errors import SigbenchError
from sigbench.experiments.inputs import run_inputs, run_splits
from sigbench.models import model_entry, named_layers
from sigbench.progress import SILENT, Progress
from sigbench.runs.checkpoint import LoadedRun, load_run
from sigbench.training.equivariance import (
    AMOUNT,
    BORDER_FRACTION,
    INTERPOLATION,
    TRANSFORMS,
    DeltaSums,
    accumulate,
    form_of,
    transform_maps,
)

DEFAULT_SCALES = (0.5, 0.75, 1.25, 1.5, 2.0)
DEFAULT_ANGLES = (15.0, 30.0, 45.0, 90.0, 180.0)
BATCH = 250


def columns(transform: str = "scale") -> list[str]:
    """The CSV's columns; the amount's is ``scale`` or ``angle`` (:data:`AMOUNT`)."""
    return [
        "run_id", "model", "layer", "form", AMOUNT[transform], "delta", "map_shape",
        "n_images", "interpolation", "border_fraction",
    ]  # fmt: skip


COLUMNS = columns("scale")


def check_transform(transform: str) -> str:
    """``--transform`` as given, or a one-line error naming the choices."""
    if transform not in TRANSFORMS:
        raise SigbenchError(f"--transform {transform!r}: choose {' or '.join(TRANSFORMS)}")
    return transform


def parse_angles(text: str) -> list[float]:
    """``"15,90"`` -> ``[15.0, 90.0]`` degrees, or a one-line error saying what an angle list is."""
    try:
        angles = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        angles = []
    if not angles or any(not -360 <= a <= 360 for a in angles):
        raise SigbenchError(
            f"--angles {text!r}: expected comma-separated degrees between -360 and 360, "
            "e.g. 15,30,45,90,180"
        )
    return list(dict.fromkeys(angles))


def parse_scales(text: str) -> list[float]:
    """``"0.5,2"`` -> ``[0.5, 2.0]``, or a one-line error saying what a scale list is."""
    try:
        scales = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        scales = []
    if not scales or any(not 0.1 <= s <= 10 for s in scales):
        raise SigbenchError(
            f"--scales {text!r}: expected comma-separated factors between 0.1 and 10, "
            "e.g. 0.5,0.75,1.25,1.5,2"
        )
    return list(dict.fromkeys(scales))


def transform_images(images: np.ndarray, transform: str, amount: float) -> np.ndarray:
    """L_s or R_a on uint8 (N, H, W, C) images (see the module doc)."""
    if amount == (1 if transform == "scale" else 0):
        return images
    pixels = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
    moved = transform_maps(pixels, transform, amount).clamp(0, 1).mul(255).round()
    return moved.to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()


def rescale_images(images: np.ndarray, factor: float) -> np.ndarray:
    """L_s on uint8 (N, H, W, C) images."""
    return transform_images(images, "scale", factor)


def rotate_images(images: np.ndarray, degrees: float) -> np.ndarray:
    """R_a on uint8 (N, H, W, C) images."""
    return transform_images(images, "rotate", degrees)


def _as_map(output: torch.Tensor) -> torch.Tensor:
    """A hooked output as (N, F) or (N, C, H, W): extra axes (DSS's scales) join the channels."""
    output = output.detach().float()
    if output.ndim > 4:
        output = output.flatten(1, output.ndim - 3)
    return output


@contextmanager
def _hooked(layers: dict[str, nn.Module]) -> Iterator[dict[str, torch.Tensor]]:
    captured: dict[str, torch.Tensor] = {}
    handles = [
        module.register_forward_hook(
            lambda _m, _i, out, name=name: captured.__setitem__(name, _as_map(out).cpu())
        )
        for name, module in layers.items()
    ]
    try:
        yield captured
    finally:
        for handle in handles:
            handle.remove()


def _signature_maps(loaded: LoadedRun, features: torch.Tensor, height: int) -> dict:
    """The signature matrix per stream direction, as (N, terms, streams) maps."""
    maps = {"signature_rows": features[:, :height].transpose(1, 2)}
    if loaded.config.signature.two_direction:
        maps["signature_columns"] = features[:, height:].transpose(1, 2)
    return maps


def features_of(loaded: LoadedRun, images: np.ndarray) -> dict[str, torch.Tensor]:
    """Every measured depth's features of some uint8 images, shallow to deep."""
    device = loaded.device
    model = loaded.model.eval().to(device)
    batch = run_inputs(loaded, images).take(np.arange(len(images)), train=False)
    found: dict[str, torch.Tensor] = {}
    if model_entry(loaded.config.model.kind).input == "signature":
        found.update(_signature_maps(loaded, batch, images.shape[1]))
    with _hooked(named_layers(loaded.config.model.kind, model)) as captured, torch.no_grad():
        model(batch.to(device))
    return {**found, **captured}


def _chosen(count: int, max_images: int | None, seed: int) -> np.ndarray:
    if max_images is None or max_images >= count:
        return np.arange(count)
    return np.sort(rng_for(seed, "equivariance").choice(count, max_images, replace=False))


def equivariance_frame(
    run: Path,
    amounts: list[float],
    *,
    transform: str = "scale",
    max_images: int | None = None,
    progress: Progress = SILENT,
) -> pd.DataFrame:
    """One row per (layer, scale or angle) on the run's test images (``max_images``: a
    seeded sample of them)."""
    loaded = load_run(run)
    test = run_splits(loaded, progress=progress).test
    images = test.images[_chosen(len(test.images), max_images, loaded.config.seed)]
    if len(images) == 0:
        raise SigbenchError(f"{run}: the test split is empty; nothing to measure")
    sums: dict[tuple[str, float], DeltaSums] = {}
    first: dict[str, torch.Tensor] = {}  # the first batch's features: names, shapes, forms
    batches = range(0, len(images), BATCH)
    with progress.task("equivariance", total=len(batches) * len(amounts)) as task:
        for start in batches:
            chunk = images[start : start + BATCH]
            clean = features_of(loaded, chunk)
            first = first or clean
            for amount in amounts:
                moved = features_of(loaded, transform_images(chunk, transform, amount))
                for name, features in clean.items():
                    sum_ = sums.setdefault((name, amount), DeltaSums())
                    accumulate(sum_, features, moved[name], amount, transform)
                task.advance(1)
    rows = [
        {
            "run_id": Path(run).resolve().name,
            "model": loaded.config.model.kind,
            "layer": name,
            "form": form_of(first[name], transform),
            AMOUNT[transform]: amount,
            "delta": sums[name, amount].delta,
            "map_shape": "x".join(map(str, first[name].shape[1:])),
            "n_images": len(images),
            "interpolation": INTERPOLATION[transform],
            "border_fraction": BORDER_FRACTION,
        }
        for name in first
        for amount in amounts
    ]
    return pd.DataFrame(rows, columns=columns(transform))
