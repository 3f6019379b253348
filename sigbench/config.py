"""The experiment schema: YAML in, validated plain data out.

An experiment spec is one YAML file; ``--set key.path=value`` overrides any key. Pydantic
checks every key at load time, and :func:`load_config` turns its errors into one line that
names the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sigbench.errors import SigbenchError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


AugmentName = Literal[
    "flip_horizontal", "flip_vertical", "brightness", "color", "rotate45", "noise"
]


class DataConfig(_Section):
    source: Literal["builtin", "imagefolder", "labelfile", "csv"] = "builtin"
    name: str | None = Field(None, description="built-in dataset: digits, lfw-faces, fashion-mnist")
    root: Path | None = Field(None, description="where a built-in dataset's files live")
    train: Path | None = Field(None, description="training images (folder, label file or CSV)")
    test: Path | None = Field(None, description="test images; omitted: a split of train")
    labels: Path | None = Field(None, description="labelfile source: one label per line")
    test_labels: Path | None = None
    image_size: int = Field(32, ge=2, le=1024, description="images are resized to this square")
    classes: list[str] | None = Field(None, description="keep only these classes, in this order")
    max_per_class: int | None = Field(None, ge=1, description="cap on training images per class")
    val_split: float = Field(0.1, ge=0.0, lt=1.0)
    test_split: float = Field(0.2, gt=0.0, lt=1.0, description="used when there is no test set")
    augment: list[AugmentName] = Field(default_factory=list)
    balance: Literal["none", "class_weights", "undersample", "oversample"] = Field(
        "none", description="class_weights: alpha_c = N / (K * N_c) in the loss (Table 1)"
    )
    strict: bool = Field(False, description="unreadable images are an error, not skipped")
    split_seed: int | Literal["seed"] | None = Field(
        None,
        description="seeds the test/val splits and max_per_class; None: the run's seed, shared "
        "by every --seeds run; 'seed': each run's own seed",
    )

    def splits_seed(self, seed: int) -> int:
        """The seed the splits of a run with ``seed`` are drawn with."""
        return self.split_seed if isinstance(self.split_seed, int) else seed


class SignatureConfig(_Section):
    depth: int = Field(4, ge=1, le=8)
    two_direction: bool = False
    log_sig: bool = False
    path: Literal["none", "time", "lead_lag", "basepoint"] = "none"
    backend: Literal["auto", "lanes", "pysiglib", "signatory", "iisignature", "torch"] = "auto"


class ModelConfig(_Section):
    kind: str = "imagesig_fc"
    neurons: int = Field(50, ge=1, le=100_000)
    dropout: float = Field(0.4, ge=0.0, lt=1.0)
    standardize: bool = Field(
        True, description="scale each feature by the training split's mean and std"
    )
    conv_channels: list[int] = Field(default_factory=lambda: [32, 64])
    kernel_size: int = Field(3, ge=1)
    pool_size: int = Field(3, ge=1)
    transformer_layers: int = Field(2, ge=0, description="the paper used 50")
    attention_heads: int = Field(8, ge=1)
    key_dim: int = Field(64, ge=1)
    mlp_units: list[int] = Field(default_factory=lambda: [64, 64])
    weights: str = Field("none", description="baselines: imagenet, none or a file path")
    weights_dir: Path | None = None


class TrainConfig(_Section):
    epochs: int = Field(30, ge=1, le=100_000)
    batch_size: int = Field(3000, ge=1)
    lr: float = Field(1e-3, gt=0.0, le=10.0)
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    weight_decay: float = Field(0.0, ge=0.0)
    loss: Literal["ce", "focal"] = "ce"
    focal_gamma: float = Field(2.0, ge=0.0)
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0)
    patience: int | None = Field(None, ge=1, description="early stopping; None: never stop")
    monitor: Literal["val_acc", "val_loss"] = "val_acc"
    finetune: Literal["head", "last_stage", "full"] = "head"
    device: Literal["cpu", "cuda"] = "cpu"
    num_threads: int | None = Field(None, ge=1)
    top_k: int = Field(5, ge=1, description="top-k accuracy, reported when classes exceed k")


class ExperimentConfig(_Section):
    name: str | None = Field(None, description="run-id prefix; default: the YAML file's stem")
    seed: int = 0
    data: DataConfig = Field(default_factory=DataConfig)
    signature: SignatureConfig = Field(default_factory=SignatureConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, value: str | None) -> str | None:
        if value is not None and (not value or "/" in value or value.startswith(".")):
            raise ValueError("must be a plain folder name (no '/', not starting with '.')")
        return value

    def fingerprint(self) -> str:
        """A short hash of every setting: equal configs give equal run ids.

        ``data.split_seed`` counts only where it draws other splits than ``seed`` would, so
        the first run of ``--seeds N`` is the plain run, and old run ids stay valid.
        """
        settings = self.model_dump(mode="json")
        del settings["data"]["split_seed"]
        if self.data.splits_seed(self.seed) != self.seed:
            settings["data"]["split_seed"] = self.data.splits_seed(self.seed)
        blob = json.dumps(settings, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:10]

    def run_id(self) -> str:
        return f"{self.name or 'run'}-{self.fingerprint()}"


def parse_override(text: str) -> tuple[str, Any]:
    """``key.path=value`` with the value read as YAML (so ``3``, ``true``, ``[1, 2]`` work)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise SigbenchError(f"--set {text!r}: expected key.path=value, e.g. signature.depth=5")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def apply_overrides(raw: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """Set each ``key.path=value`` in a copy of the raw config mapping."""
    merged = copy.deepcopy(raw)
    for text in overrides or []:
        key, value = parse_override(text)
        node = merged
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise SigbenchError(f"--set {text!r}: {part!r} is not a section")
            node = child
        node[leaf] = value
    return merged


def _describe_error(source: str, error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        section = error["loc"][:-1]
        allowed = _allowed_keys(section)
        return f"{source}: unknown key {key!r}; allowed here: {', '.join(allowed)}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{source}: {key} = {error.get('input')!r}: {message}"


def _allowed_keys(section: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = ExperimentConfig
    for part in section:
        field = model.model_fields.get(str(part))
        if field is None or not isinstance(field.annotation, type):
            break
        if issubclass(field.annotation, BaseModel):
            model = field.annotation
    return sorted(model.model_fields)


def validate_config(
    raw: dict[str, Any], source: str = "config", overrides: list[str] | None = None
) -> ExperimentConfig:
    """Validate a raw mapping (plus overrides) or raise a one-line :class:`SigbenchError`."""
    if not isinstance(raw, dict):
        raise SigbenchError(f"{source}: expected a mapping of sections, got {type(raw).__name__}")
    merged = apply_overrides(raw, overrides)
    try:
        return ExperimentConfig.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise SigbenchError(_describe_error(source, first) + extra) from None


def load_config(path: str | Path, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read, merge overrides into and validate one YAML experiment spec."""
    path = Path(path)
    if not path.is_file():
        raise SigbenchError(f"{path}: no such config file")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise SigbenchError(f"{path}:{where}: YAML does not parse: {problem}") from None
    config = validate_config(raw, str(path), overrides)
    if config.name is None:
        config.name = path.stem
    return config


def dump_config(config: ExperimentConfig) -> str:
    """The resolved config as YAML: what a run folder stores and ``train`` can read back."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
