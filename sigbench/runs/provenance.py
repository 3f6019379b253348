"""What produced a run: code revision, package versions, backend, machine, command line.

Written beside the metrics as ``run.json``, so that a number in a table can be traced to
the code and the machine that made it long after the run: the sigbench version and, when
run from a git checkout, its commit and whether the work tree had changes; the versions of
python, torch, numpy and the signature package that computed the features; the backend
``auto`` resolved to; the device with its CPU or GPU model and the thread count; the
weights file a pretrained baseline started from (path and sha256); and the command line
with its ``--set`` overrides.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sigbench.config import ExperimentConfig
from sigbench.signature.backends import LOAD_FAILURES, resolve_backend

if TYPE_CHECKING:
    import torch

    from sigbench.models.weights import WeightsFile

# The package whose version stands for each backend's code (lanes is sigbench's own kernels,
# compiled by numba).
BACKEND_PACKAGES = {
    "lanes": "numba",
    "pysiglib": "pysiglib",
    "signatory": "signatory",
    "torch": "torch",
    "iisignature": "iisignature",
}
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the checkout holding sigbench/, if any
GIT_SECONDS = 10


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git(*arguments: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(SOURCE_ROOT), *arguments],
            capture_output=True,
            text=True,
            timeout=GIT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired):  # no git, or a hung file system
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@cache
def code_revision() -> dict[str, Any] | None:
    """The checkout's commit and whether tracked files differ from it; None when sigbench
    is not run from a git checkout (an installed wheel)."""
    if not (SOURCE_ROOT / ".git").exists():
        return None
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return None
    changes = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if changes is None else bool(changes)}


@cache
def cpu_model() -> str:
    """The CPU's marketing name (from /proc/cpuinfo on Linux), else what platform says."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def overrides_in(command: list[str]) -> list[str]:
    """The ``--set`` / ``-s`` values of a command line, in order."""
    found, following = [], False
    for word in command:
        if following:
            found.append(word)
        elif word.startswith("--set="):
            found.append(word.removeprefix("--set="))
        following = word in ("--set", "-s")
    return found


def command_text(command: list[str]) -> str | None:
    """The command line as a shell would take it, the program by name (``sigbench``, or
    ``python -m sigbench``) rather than by its path on this machine."""
    if not command:
        return None
    program = Path(command[0])
    name = f"python -m {program.parent.name}" if program.name == "__main__.py" else program.name
    return " ".join([name, shlex.join(command[1:])]).strip()


def signature_provenance(config: ExperimentConfig, device: str) -> dict[str, Any]:
    """The backend that computed the features on ``device``, its package's version, and
    why any faster backend was passed over."""
    spec = config.signature
    backend = resolve_backend(spec.backend, spec.depth, device)
    package = BACKEND_PACKAGES[backend]
    return {
        "backend": spec.backend,
        "resolved_backend": backend,
        "package": package,
        "package_version": package_version(package),
        "not_loaded": dict(LOAD_FAILURES),
    }


def device_provenance(config: ExperimentConfig, device: torch.device) -> dict[str, Any]:
    """The device the run used (``auto`` resolved, with the GPU's name) and the CPU."""
    import torch

    from sigbench.training.device import device_description

    facts: dict[str, Any] = {
        "device": device_description(device),
        "device_setting": config.train.device,
        "cpu": cpu_model(),
        "cpu_count": _cpu_count(),
        "threads": torch.get_num_threads(),
    }
    if device.type == "cuda":
        facts["cuda"] = torch.version.cuda
    return facts


def _cpu_count() -> int | None:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def run_provenance(
    config: ExperimentConfig,
    device: torch.device,
    *,
    uses_signature: bool,
    weights: WeightsFile | None = None,
) -> dict[str, Any]:
    """Every fact above for a run of ``config`` on ``device`` in this process
    (``uses_signature``: the model eats signature features, so the backend is recorded;
    ``weights``: the checkpoint the model was filled from before training, if any)."""
    import numpy
    import torch

    command = list(sys.argv)
    return {
        "sigbench": package_version("sigbench"),
        "git": code_revision(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "signature": signature_provenance(config, str(device)) if uses_signature else None,
        **device_provenance(config, device),
        "weights": None if weights is None else weights.as_json(),
        "platform": platform.platform(),
        "command": command_text(command),
        "overrides": overrides_in(command),
    }
