"""Where a run trains and scores: ``train.device`` resolved to a torch device, once.

``auto`` takes the first CUDA device, else Apple's MPS, else the CPU. A named device that
this machine lacks is a one-line error listing what it has, not a CUDA traceback halfway
through a run. The device is a property of the machine, not of the experiment, so it is
left out of the run id and recorded in the run's provenance instead.
"""

from __future__ import annotations

import os
import random
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import torch

from sigbench.errors import SigbenchError

AUTO = "auto"

# train.precision -> the autocast dtype (None: plain float32).
_AUTOCAST_DTYPES: dict[str, torch.dtype | None] = {
    "32": None,
    "bf16": torch.bfloat16,
    "16-mixed": torch.float16,
}


def available_devices() -> list[str]:
    """The devices this machine can run on, in ``train.device`` spelling."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{index}" for index in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def _spelled(name: str) -> str:
    """A ``train.device`` name as :func:`available_devices` spells it (``cuda`` is
    ``cuda:0``)."""
    return "cuda:0" if name == "cuda" else name


def resolve_device(name: str) -> torch.device:
    """``train.device`` as a torch device: ``auto`` picks one; others must exist here."""
    devices = available_devices()
    if name == AUTO:
        return torch.device(next((d for d in devices if d != "cpu"), "cpu"))
    wanted = _spelled(name)
    if wanted not in devices:
        raise SigbenchError(
            f"train.device = {name!r} is not available on this machine; available: "
            f"{', '.join(devices)} (or 'auto')"
        )
    return torch.device(wanted)


def scoring_device(name: str) -> torch.device:
    """Where a finished run is scored: its ``train.device`` when this machine has it, else
    what ``auto`` picks here (a run trained on a GPU server still scores on a laptop)."""
    known = _spelled(name) in available_devices()
    return resolve_device(name if known else AUTO)


def device_description(device: torch.device) -> str:
    """The hardware behind ``device``, for a run's provenance (``cuda:0 (NVIDIA H100 ...)``)."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def autocast(device: torch.device, precision: str) -> AbstractContextManager:
    """The autocast context for ``train.precision`` (none for ``32``)."""
    dtype = _AUTOCAST_DTYPES[precision]
    if dtype is None:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler:
    """A loss scaler for float16 (its small range underflows gradients); a no-op otherwise."""
    return torch.amp.GradScaler(device.type, enabled=precision == "16-mixed")


def seed_everything(seed: int, *, deterministic: bool = False) -> None:
    """Seed Python's ``random``, numpy and torch (every CUDA device included), and set
    torch's deterministic-algorithm flags to ``deterministic`` either way, so a run does not
    inherit them from an earlier run in the same process (deterministic is slower on a GPU)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds every CUDA device too
    if deterministic:
        # cuBLAS needs a fixed workspace for reproducible GEMMs; must be set before first use.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(deterministic)
    torch.backends.cudnn.deterministic = deterministic
