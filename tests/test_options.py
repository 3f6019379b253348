"""Each option list is written once (sigbench.options); the schema, the implementations and
the CLI help all follow it."""

from __future__ import annotations

import dataclasses
import importlib.util
import typing

import pytest
from typer.testing import CliRunner

from sigbench import options
from sigbench.cli import app
from sigbench.config import DATA_CONFIGS, DataConfig, ExperimentConfig, TrainConfig
from sigbench.data.augment import AUGMENTATIONS
from sigbench.data.sources import OPENERS
from sigbench.data.transforms import TRANSFORMS
from sigbench.experiments.robustness import TTA_SETS
from sigbench.signature.backends import BACKENDS
from sigbench.signature.spec import SignatureSpec


def literal_values(section: type, key: str) -> tuple[str, ...]:
    if dataclasses.is_dataclass(section):
        annotation = typing.get_type_hints(section)[key]
    else:
        annotation = section.model_fields[key].annotation
    if typing.get_origin(annotation) is list:
        (annotation,) = typing.get_args(annotation)
    return typing.get_args(annotation)


@pytest.mark.parametrize(
    ("section", "key", "names"),
    [
        (SignatureSpec, "path", options.PATH_TRANSFORMS),
        (SignatureSpec, "backend", (options.AUTO_BACKEND, *options.SIGNATURE_BACKENDS)),
        (DataConfig, "augment", options.AUGMENTATIONS),
        (DataConfig, "source", options.DATA_SOURCES),
        (TrainConfig, "finetune", options.FINETUNE_MODES),
        (ExperimentConfig, "track", options.TRACKERS),
    ],
)
def test_the_schema_takes_exactly_each_list(section: type, key: str, names: tuple) -> None:
    assert literal_values(section, key) == names


def test_every_listed_name_has_an_implementation() -> None:
    assert tuple(AUGMENTATIONS) == options.AUGMENTATIONS
    assert set(OPENERS) == set(options.DATA_SOURCES)
    assert tuple(DATA_CONFIGS) == options.DATA_SOURCES  # one config class per source
    assert all(literal_values(c, "source") == (s,) for s, c in DATA_CONFIGS.items())
    assert tuple(BACKENDS) == options.SIGNATURE_BACKENDS
    assert all(importlib.util.find_spec(module) for module in BACKENDS.values())
    assert tuple(TRANSFORMS) == options.ROBUSTNESS_TRANSFORMS
    assert tuple(TTA_SETS) == options.TTA_CHOICES


def test_the_tune_metrics_are_one_list() -> None:
    pytest.importorskip("optuna", reason="the tune extra: pip install 'sigbench[tune]'")
    from sigbench.sweeps.compare import CompareSpec
    from sigbench.sweeps.study import METRICS

    assert literal_values(CompareSpec, "metric") == options.TUNE_METRICS
    assert tuple(METRICS) == options.TUNE_METRICS


def test_cli_help_lists_the_paths_and_backends() -> None:
    shown = CliRunner().invoke(app, ["signature", "--help"], terminal_width=200).output
    for name in (*options.PATH_TRANSFORMS, options.AUTO_BACKEND, *options.SIGNATURE_BACKENDS):
        assert name in shown
