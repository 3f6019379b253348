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

from sigbench.config import check_key, read_yaml
from sigbench.errors import SigbenchError
from sigbench.models import list_models
from sigbench.sweeps.seeds import check_seeds


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
        # Every registered kind, in registry order: the ImageSig heads, then the baselines,
        # cheapest first. Baselines take model.weights / train.finetune from the base config.
        Grid("models", {"model.kind": list_models()}),
    )
}


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
        check_key(key, source): _check_values(key, values, source) for key, values in axes.items()
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
    return grid_from_mapping(path.stem, read_yaml(path), str(path))
