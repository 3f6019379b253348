"""The checkpoint format (``model.pt``) and ``load_run``: a finished run as config plus model.

A checkpoint is a plain dict of tensors, numbers and strings, so it loads with
``torch.load(..., weights_only=True)``: reading a run never runs code stored in it.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from sigbench.config import ExperimentConfig
from sigbench.errors import SigbenchError
from sigbench.models import create_model
from sigbench.runs import rundir
from sigbench.training.device import scoring_device

CHECKPOINT_FORMAT = "sigbench-checkpoint/1"


def make_checkpoint(
    config: ExperimentConfig,
    model: torch.nn.Module,
    *,
    input_shape: Sequence[int],
    classes: list[str],
    channels: int,
    optimizer_state: dict[str, Any],
) -> dict[str, Any]:
    """What ``model.pt`` holds: enough to rebuild the model without the training data."""
    return {
        "format": CHECKPOINT_FORMAT,
        "kind": config.model.kind,
        "input_shape": list(input_shape),
        "classes": _fresh_copy(classes),
        "channels": channels,
        "config": _fresh_copy(config.model_dump(mode="json")),
        "state_dict": model.state_dict(),
        "optimizer_state": optimizer_state,
    }


def _fresh_copy(data: Any) -> Any:
    """``data`` rebuilt from JSON. Pickle writes a string once and refers back to it when the
    same object recurs, so equal configs that reached this process by different routes (a
    Ray worker receives a copy) gave files of different sizes; a copy made from text is the
    same every time."""
    return json.loads(json.dumps(data))


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint's dict, or a one-line error naming the file when it is not one."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise SigbenchError(
            f"{path}: not a readable checkpoint (it holds objects other than tensors, "
            "numbers and strings, which sigbench never writes; it is not loaded)"
        ) from None
    except Exception as exc:  # any unreadable file is the user's to fix, not a crash
        raise SigbenchError(f"{path}: not a readable checkpoint ({exc})") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise SigbenchError(
            f"{path}: not a sigbench checkpoint (expected format {CHECKPOINT_FORMAT!r})"
        )
    return checkpoint


@dataclass
class LoadedRun:
    path: Path
    config: ExperimentConfig
    model: torch.nn.Module
    classes: list[str]
    channels: int

    @property
    def device(self) -> torch.device:
        """Where this run is scored here: its ``train.device``, or ``auto``'s pick on a
        machine without that device."""
        return scoring_device(self.config.train.device)


def load_run(run: Path) -> LoadedRun:
    """The saved config and a model holding the saved weights, checked for consistency."""
    run = rundir.require_run(Path(run))
    config = rundir.read_config(run)
    checkpoint = read_checkpoint(run / rundir.CHECKPOINT_FILE)
    model = create_model(
        checkpoint["kind"],
        input_shape=tuple(checkpoint["input_shape"]),
        num_classes=len(checkpoint["classes"]),
        config=config.model,
        pretrained=False,  # the checkpoint holds every weight: no ImageNet file is needed
    )
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    return LoadedRun(run, config, model, list(checkpoint["classes"]), int(checkpoint["channels"]))
