"""Ablation grids: which config keys a sweep varies, over which values, and the table it feeds.

A grid is plain data (config key -> list of values); its points are the Cartesian product in
key order. The built-in grids reproduce the ImageSig paper's ablation tables; any other grid
is a YAML file mapping dotted config keys to value lists, e.g. ``signature.depth: [3, 4]``,
plus optionally ``seeds: N`` (every point trained at N seeds, :mod:`sigbench.sweeps.seeds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from sigbench.config import ExperimentConfig
from sigbench.errors import SigbenchError
from sigbench.sweeps.seeds import check_seeds

# What the ``models`` grid compares: the ImageSig heads, then the baselines, cheapest first.
# Baselines take model.weights / train.finetune from the base config (default: from scratch).
MODEL_KINDS: list[str] = [
    "imagesig_fc",
    "imagesig_conv",
    "imagesig_attention",
    "logistic",
    "simple_cnn",
    "vit",
    "mobilenetv2",
    "efficientnet_lite0",
    "resnet18",
    "resnet50",
]


@dataclass(frozen=True)
class Grid:
    """A named sweep. ``paper_table`` names the entry of :data:`PAPER_TABLES` it reproduces;
    ``seeds`` is how many seeds each point is trained at unless ``--seeds`` says otherwise."""

    name: str
    axes: dict[str, list[Any]]
    paper_table: str | None = None
    source: str = "built-in"
    seeds: int = 1


BUILTIN_GRIDS: dict[str, Grid] = {
    grid.name: grid
    for grid in (
        Grid(
            "neurons",
            {"data.image_size": [32, 64], "model.neurons": [25, 50, 100, 150, 200]},
            paper_table="table2",
        ),
        Grid("batch_size", {"train.batch_size": [64, 128, 256, 512, 1024]}, paper_table="table3"),
        Grid(
            "depth",
            {"train.batch_size": [1024, 3000], "signature.depth": [1, 2, 3, 4, 5]},
            paper_table="table4",
        ),
        Grid("resolution", {"data.image_size": [16, 32, 64]}),
        Grid("models", {"model.kind": MODEL_KINDS}),
    )
}


def _check_key(key: object, source: str) -> str:
    """``key`` if it names a setting (not a section) of :class:`ExperimentConfig`."""
    if not isinstance(key, str) or not key:
        raise SigbenchError(f"{source}: grid key {key!r} must be a dotted config key")
    model: type[BaseModel] = ExperimentConfig
    parts = key.split(".")
    for depth, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            allowed = ", ".join(sorted(model.model_fields))
            raise SigbenchError(f"{source}: unknown key {key!r}; allowed here: {allowed}")
        annotation = field.annotation
        is_section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        last = depth == len(parts) - 1
        if is_section and last:
            example = next(iter(annotation.model_fields))
            raise SigbenchError(
                f"{source}: {key!r} is a section; name one of its settings, e.g. {key}.{example}"
            )
        if not is_section and not last:
            raise SigbenchError(f"{source}: {'.'.join(parts[: depth + 1])!r} is not a section")
        if is_section:
            model = annotation
    return key


def _check_values(key: str, values: object, source: str) -> list[Any]:
    if not isinstance(values, list) or not values:
        raise SigbenchError(
            f"{source}: {key} = {values!r}: expected a non-empty list of values, e.g. [1, 2]"
        )
    seen: list[Any] = []
    for value in values:
        if value in seen:
            raise SigbenchError(f"{source}: {key} lists {value!r} twice")
        seen.append(value)
    return values


def grid_from_mapping(name: str, raw: object, source: str) -> Grid:
    """Validate a ``{config key: [values]}`` mapping (and its optional ``seeds: N``); values
    are checked when points expand."""
    axes = dict(raw) if isinstance(raw, dict) else {}
    seeds = check_seeds(axes.pop("seeds", 1), source)
    if not axes:
        raise SigbenchError(
            f"{source}: expected a mapping of config keys to value lists, "
            "e.g. 'signature.depth: [3, 4]'"
        )
    axes = {
        _check_key(key, source): _check_values(key, values, source) for key, values in axes.items()
    }
    return Grid(name, axes, source=source, seeds=seeds)


def load_grid(spec: str) -> Grid:
    """A built-in grid by name, or a grid YAML file (named by its stem)."""
    if spec in BUILTIN_GRIDS:
        return BUILTIN_GRIDS[spec]
    path = Path(spec)
    if not path.is_file():
        raise SigbenchError(
            f"--grid {spec!r}: not a built-in grid ({', '.join(BUILTIN_GRIDS)}) "
            "nor an existing YAML file"
        )
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SigbenchError(f"{path}:{where}: YAML does not parse") from None
    return grid_from_mapping(path.stem, raw, str(path))
