"""Repeated seeds: one config trained at ``seed, seed+1, ..., seed+N-1``, each an ordinary run.

Each seed's config differs only in ``seed``, so it has its own run id and the scheduler skips,
locks and resumes it like any run: ``--seeds 5`` after ``--seeds 3`` trains two new runs.
The seeds share the base config's splits (``data.split_seed``), so all of them are scored on
the same test images and a paired comparison between settings is possible; with
``data.split_seed: seed`` every run draws its own splits instead.
"""

from __future__ import annotations

from sigbench.config import ExperimentConfig
from sigbench.errors import SigbenchError


def check_seeds(seeds: object, source: str) -> int:
    """``seeds`` if it is a whole number of at least 1, else a one-line error naming ``source``."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise SigbenchError(f"{source}: seeds = {seeds!r}: expected a whole number >= 1, e.g. 3")
    return seeds


def with_seeds(config: ExperimentConfig, seeds: int) -> list[ExperimentConfig]:
    """``config`` at ``seeds`` consecutive seeds from its own, sharing its splits."""
    split_seed = config.data.split_seed
    shared = split_seed if split_seed == "seed" else config.data.splits_seed(config.seed)
    data = config.data.model_copy(update={"split_seed": shared})
    return [
        config.model_copy(update={"seed": config.seed + k, "data": data}, deep=True)
        for k in range(check_seeds(seeds, "--seeds"))
    ]
