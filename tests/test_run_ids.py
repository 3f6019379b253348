"""Run ids are a promise: a finished run is found again by the same config.

The ids below were computed from ``configs/*.yaml`` (every experiment file, not the grids)
by the code before the signature section became a ``SignatureSpec`` (main at a45dfa3),
plain and with signature overrides that reach every field of the section. A change that
moves any of them re-runs every user's finished runs, so it must be deliberate: update this
table in the same commit and say why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sigbench.config import load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
OVERRIDES = [
    [],
    ["signature.depth=2", "signature.two_direction=true"],
    ["signature.path=time", "signature.log_sig=true"],
    ["signature.path=lead_lag", "signature.backend=torch"],
]
# config file -> its run id under each of OVERRIDES
RUN_IDS = {
    "celeba_digits.yaml": [
        "celeba_digits-369c3cac2b",
        "celeba_digits-482e5ecd7b",
        "celeba_digits-00cfa3b809",
        "celeba_digits-9eebee9c39",
    ],
    "demo.yaml": ["demo-2c24110ef1", "demo-930fc2f621", "demo-9469aa0376", "demo-1f889d72fc"],
    "fashion_d4.yaml": [
        "fashion_d4-c30aa91a8a",
        "fashion_d4-a73946a1cb",
        "fashion_d4-7441d3e28f",
        "fashion_d4-6e332b5538",
    ],
    "fashion_scale.yaml": [
        "fashion_scale-ca77ab55df",
        "fashion_scale-21353a2d91",
        "fashion_scale-4eb30ce02f",
        "fashion_scale-fb99d0aaeb",
    ],
    "fire_d4.yaml": [
        "fire_d4-46e1ca955f",
        "fire_d4-48e9b11ed7",
        "fire_d4-6ec90e1642",
        "fire_d4-db95ccc6e2",
    ],
    "lfw_faces.yaml": [
        "lfw_faces-f6f5734fe8",
        "lfw_faces-9742dea844",
        "lfw_faces-564fca141c",
        "lfw_faces-10bafcfcfb",
    ],
}


def test_every_experiment_config_is_covered() -> None:
    experiments = [
        path.name
        for path in CONFIGS.glob("*.yaml")
        if not any("." in key for key in (yaml.safe_load(path.read_text()) or {}))
    ]  # a file with dotted keys is a grid
    assert sorted(experiments) == sorted(RUN_IDS)


@pytest.mark.parametrize("name", sorted(RUN_IDS))
def test_run_ids_stay_as_they_were(name: str) -> None:
    found = [load_config(CONFIGS / name, overrides).run_id() for overrides in OVERRIDES]
    assert found == RUN_IDS[name]
