"""The experiment schema: YAML in, validated plain data out.

An experiment spec is one YAML file; ``--set key.path=value`` overrides any key. Pydantic
checks every key at load time, and :func:`load_config` turns its errors into one line that
names the file, the key, the value and what is allowed.

It imports nothing of sigbench but ``errors``, ``options`` and the signature engine's
light :mod:`sigbench.signature.spec`: the ``signature`` section *is* a
:class:`~sigbench.signature.spec.SignatureSpec`, which owns its checks and its lengths.
The closed option lists (path transforms, backends, augmentations, sources, fine-tune
modes) come from :mod:`sigbench.options`. Model kinds are an open set: each model family
registers its kinds and their config classes here (through ``sigbench.models``), so a
config names a kind's own keys and nothing else. Validating a config therefore needs
``sigbench.models`` imported; everything that validates one (the CLI, sweeps, runs) does.
Data sources are a closed list, so their config classes live here (``DATA_CONFIGS``): the
``data`` section is a discriminated union on ``data.source``, each source taking the keys
it reads and nothing else.

Switching ``model.kind`` with ``--set`` or a grid axis: model keys the *file* sets carry
over to the new kind where it uses them and are left out where it does not (they were
written for the file's kind: a ``models`` sweep over a config with ``model.neurons``
gives the heads that have a Dense(n) layer that width). Model keys given with ``--set``
or by a grid axis must belong to the final kind. ``data.source`` switches the same way.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import re
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from sigbench import options
from sigbench.errors import SigbenchError
from sigbench.registries import load_registries
from sigbench.signature.spec import SignatureSpec

log = logging.getLogger(__name__)

DEFAULT_MODEL_KIND = "imagesig_fc"
DEFAULT_SOURCE = "builtin"
UNKNOWN_KIND = "unknown_model_kind"
ModelInput = Literal["signature", "image"]
# Top-level keys that say where results go, not what is computed: not part of the run id.
OUTPUT_KEYS = {"track"}
# Multi-label data keys at their defaults: left out of the run id, so single-label run ids
# stay as they were before these keys existed.
MULTILABEL_DEFAULTS: dict[str, Any] = {
    "label_columns": None,
    "path_column": "path",
    "attributes": None,
}
# Before each data.source had its own keys, the data section was one flat class and every
# run id hashed these keys: a source that lacks one hashes it at the value it had then, so
# those run ids stay valid.
FLAT_DATA_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(("name", "root", "train", "test", "labels", "test_labels")),
    "strict": False,
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


MIN_SIDE, MAX_SIDE = 2, 1024
GRAY, RGB = 1, 3
AUTO_CHANNELS = "auto"

# The closed option lists, as types (Literal of a tuple is Literal of its items).
DataSource = Literal[options.DATA_SOURCES]
Augmentation = Literal[options.AUGMENTATIONS]
FinetuneMode = Literal[options.FINETUNE_MODES]
Precision = Literal[options.PRECISIONS]


def _source_field(source: str) -> Any:
    return Field(source, description="where images come from: " + ", ".join(options.DATA_SOURCES))


class DataConfig(_Section):
    """The keys every ``data.source`` reads; each source's class adds its own (``DATA_CONFIGS``).

    ``data`` is a discriminated union on ``source``: a key the source does not read is an
    error naming the source and its keys, so it can neither be ignored silently nor change
    the run id.
    """

    source: DataSource = _source_field(DEFAULT_SOURCE)
    image_size: int | tuple[int, int] = Field(
        32, description="images are resized to this square, or to [height, width]"
    )
    classes: list[str] | None = Field(None, description="keep only these classes, in this order")
    max_per_class: int | None = Field(None, ge=1, description="cap on training images per class")
    val_split: float = Field(
        0.1, ge=0.0, lt=1.0, description="validation share of the training set (0: none)"
    )
    test_split: float = Field(0.2, gt=0.0, lt=1.0, description="used when there is no test set")
    augment: list[Augmentation] = Field(
        default_factory=list,
        description="offline copies of the training split: " + ", ".join(options.AUGMENTATIONS),
    )
    balance: Literal["none", "class_weights", "undersample", "oversample"] = Field(
        "none", description="class_weights: alpha_c = N / (K * N_c) in the loss (Table 1)"
    )
    cache: bool = Field(
        True, description="keep decoded pixels in results/cache/pixels for every later run"
    )
    split_seed: int | Literal["seed"] | None = Field(
        None,
        description="seeds the test/val splits and max_per_class; null: the run's seed, shared "
        "by every --seeds run; 'seed': each run's own seed",
    )

    @field_validator("classes", "attributes", mode="before", check_fields=False)
    @classmethod
    def _names_as_text(cls, value: Any) -> Any:
        """Class names are folder names or label texts: ``[3, 8]`` means folders 3 and 8."""
        if isinstance(value, list):
            return [
                str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                for v in value
            ]
        return value

    @property
    def multilabel(self) -> bool:
        """Each image has a 0/1 value per attribute (CelebA, or a CSV with label_columns)."""
        return False

    def splits_seed(self, seed: int) -> int:
        """The seed the splits of a run with ``seed`` are drawn with."""
        return self.split_seed if isinstance(self.split_seed, int) else seed

    @field_validator("image_size", mode="before")
    @classmethod
    def _side_or_pair(cls, value: Any) -> int | tuple[int, int]:
        """An int stays an int, so square configs keep their run ids."""
        pair = isinstance(value, list | tuple) and len(value) == 2
        sides = list(value) if pair else [value]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in sides):
            raise ValueError("expected an integer (a square) or [height, width], e.g. [80, 60]")
        if not all(MIN_SIDE <= v <= MAX_SIDE for v in sides):
            raise ValueError(f"each side must be between {MIN_SIDE} and {MAX_SIDE} pixels")
        return (sides[0], sides[1]) if pair else value

    @property
    def height_width(self) -> tuple[int, int]:
        """``image_size`` as (height, width): an integer means a square."""
        return image_hw(self.image_size)


class BuiltinData(DataConfig):
    """A dataset sigbench knows by name, held as grayscale arrays."""

    source: Literal["builtin"] = _source_field("builtin")
    name: str | None = Field(
        None,
        description="built-in dataset: digits, lfw-faces, fashion-mnist, fashion-mnist-scale(-56)",
    )
    root: Path | None = Field(None, description="where a built-in dataset's files live")


class FileData(DataConfig):
    """The keys of every source that decodes image files."""

    strict: bool = Field(False, description="unreadable images are an error, not skipped")
    jpeg_draft: bool = Field(
        False, description="decode JPEGs at reduced scale first (faster; pixels differ)"
    )
    channels: Literal["auto", 1, 3] = Field(
        AUTO_CHANNELS,
        description="1 (grayscale) or 3 (RGB); auto: 1 when every training image is stored "
        "grayscale, else 3 (resolved when the config is validated)",
    )


class TrainTestFiles(FileData):
    """A source given as training files and, optionally, test files of the same layout."""

    train: Path | None = Field(
        None, description="training images: a folder (imagefolder, labelfile) or a CSV file"
    )
    test: Path | None = Field(None, description="test images; omitted: a split of train")


class ImageFolderData(TrainTestFiles):
    """``<class>/<image>`` folders."""

    source: Literal["imagefolder"] = _source_field("imagefolder")


class LabelFileData(TrainTestFiles):
    """Numbered images (``1.jpg``, ``2.jpg``, ...) with one label per line in a text file."""

    source: Literal["labelfile"] = _source_field("labelfile")
    labels: Path | None = Field(None, description="one label per line, in the images' order")
    test_labels: Path | None = Field(None, description="the test images' labels")


class CsvData(TrainTestFiles):
    """A CSV of image paths and a label, or of 0/1 attribute columns (multi-label)."""

    source: Literal["csv"] = _source_field("csv")
    label_columns: list[str] | None = Field(
        None, description="these 0/1 columns are the attributes of a multi-label task"
    )
    path_column: str = Field("path", description="the column holding image paths")
    attributes: list[str] | None = Field(
        None, description="with label_columns: keep only these attributes, in this order"
    )

    @property
    def multilabel(self) -> bool:
        return self.label_columns is not None


class CelebaData(FileData):
    """The CelebA layout: ``img_align_celeba/``, the attribute table, the partition file."""

    source: Literal["celeba"] = _source_field("celeba")
    root: Path | None = Field(None, description="the folder holding the CelebA layout")
    attributes: list[str] | None = Field(
        None, description="keep only these attributes, in this order"
    )

    @property
    def multilabel(self) -> bool:
        return True


# One class per data.source, in options.DATA_SOURCES order (a test checks they match).
DATA_CONFIGS: dict[str, type[DataConfig]] = {
    "builtin": BuiltinData,
    "imagefolder": ImageFolderData,
    "labelfile": LabelFileData,
    "csv": CsvData,
    "celeba": CelebaData,
}
DataSettings = Annotated[
    BuiltinData | ImageFolderData | LabelFileData | CsvData | CelebaData,
    Field(discriminator="source"),
]
_DATA_ADAPTER: TypeAdapter[DataConfig] = TypeAdapter(DataSettings)


def data_config(**values: Any) -> DataConfig:
    """The data config of ``values["source"]`` (default builtin), validated."""
    return _DATA_ADAPTER.validate_python({"source": DEFAULT_SOURCE, **values})


ChannelProbe = Callable[[FileData], int | None]
_CHANNEL_PROBES: list[ChannelProbe] = []


def register_channel_probe(probe: ChannelProbe) -> None:
    """Resolve ``data.channels: auto`` with ``probe`` (``sigbench.data`` registers it): 1 or 3
    for the config's training images, None when they cannot be listed."""
    _CHANNEL_PROBES[:] = [probe]


def with_resolved_channels(data: DataConfig) -> DataConfig:
    """``data`` with ``channels: auto`` replaced by what its training images are stored as.

    Left as ``auto`` for a built-in dataset (grayscale arrays) and where the files cannot be
    listed yet (loading them then says why).
    """
    if not isinstance(data, FileData) or data.channels != AUTO_CHANNELS:
        return data
    load_registries()
    found = _CHANNEL_PROBES[0](data)
    return data if found is None else data.model_copy(update={"channels": found})


def image_hw(size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    """An ``image_size`` value (square side or [height, width]) as (height, width)."""
    if isinstance(size, int):
        return size, size
    height, width = size
    return int(height), int(width)


def size_text(size: int | tuple[int, int] | list[int]) -> str:
    """``32x32`` or ``80x60``: height x width, as tables and summaries print it."""
    height, width = image_hw(size)
    return f"{height}x{width}"


class ModelConfig(_Section):
    """The model section: ``kind`` plus exactly the keys that kind's builder reads.

    Each model family (``sigbench.models``) subclasses this with its keys and registers the
    class with its kinds. ``input`` says what the kind eats, signature features or image
    pixels: an image model's run id leaves the ``signature`` section out.
    """

    input: ClassVar[ModelInput]
    # Keys a kind gained after runs of it existed: they enter the run id only when set away
    # from their default, so those runs keep their ids.
    id_when_set: ClassVar[tuple[str, ...]] = ()
    kind: str = Field(frozen=True, description="any registered model (sigbench.models)")


_MODEL_CONFIGS: dict[str, type[ModelConfig]] = {}


def register_model_config(kind: str, config: type[ModelConfig]) -> None:
    """Validate ``kind``'s model section with ``config`` (called by ``register_model``)."""
    _MODEL_CONFIGS[kind] = config


def model_config_class(kind: object) -> type[ModelConfig]:
    """The config class of ``kind``; a pydantic error naming the registered kinds if none."""
    load_registries()
    if not isinstance(kind, str) or kind not in _MODEL_CONFIGS:
        raise PydanticCustomError(UNKNOWN_KIND, "not a known model", {"kind": kind})
    return _MODEL_CONFIGS[kind]


def unknown_kind_message(kind: object) -> str:
    """The one line for a ``model.kind`` no family registered."""
    return f"model.kind = {kind!r} is not a known model; choose one of: {', '.join(_MODEL_CONFIGS)}"


def _default_model() -> ModelConfig:
    return model_config_class(DEFAULT_MODEL_KIND)(kind=DEFAULT_MODEL_KIND)


class TrainConfig(_Section):
    epochs: int = Field(
        30, ge=1, le=100_000, description="passes over the training split (best val epoch kept)"
    )
    batch_size: int = Field(
        3000, ge=1, description="larger than the training split: one batch, with a warning"
    )
    lr: float = Field(1e-3, gt=0.0, le=10.0, description="learning rate")
    optimizer: Literal["adam", "adamw", "sgd"] = Field("adam", description="the optimizer")
    weight_decay: float = Field(0.0, ge=0.0, description="the optimizer's weight decay")
    loss: Literal["ce", "focal"] = Field(
        "ce", description="cross-entropy, or the paper's focal loss (focal_gamma)"
    )
    focal_gamma: float = Field(2.0, ge=0.0, description="focal loss exponent (loss: focal)")
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0, description="label smoothing")
    patience: int | None = Field(None, ge=1, description="early stopping; null: never stop")
    monitor: Literal["val_acc", "val_loss"] = Field(
        "val_acc", description="the validation score that picks the best epoch and stops early"
    )
    finetune: FinetuneMode = Field(
        "head", description="pretrained baselines: what trains (head, last stage or all)"
    )
    device: str = Field(
        "auto",
        description="where to train and score: auto (first GPU, else MPS, else CPU), cpu, "
        "cuda, cuda:N or mps; a machine fact, so not part of the run id",
    )
    precision: Precision = Field(
        "32",
        description="32: float32; bf16 or 16-mixed: autocast to bfloat16 or float16 "
        "(with a gradient scaler) during training",
    )
    deterministic: bool = Field(
        False, description="ask torch for deterministic algorithms (slower on a GPU)"
    )
    num_threads: int | None = Field(None, ge=1, description="torch threads; null: torch's default")
    top_k: int = Field(5, ge=1, description="top-k accuracy, reported when classes exceed k")

    @field_validator("device")
    @classmethod
    def _device_is_one_we_know(cls, value: str) -> str:
        if value not in options.DEVICES and not re.fullmatch(r"cuda:\d+", value):
            raise ValueError(
                f"choose one of {', '.join(options.DEVICES)} or cuda:N (a GPU's index)"
            )
        return value


# What fingerprint() hashes for train.device on every machine (see there).
RUN_ID_TRAIN_SETTINGS = {"device": "cpu"}
TRAIN_DEFAULTS_LEFT_OUT = {"precision": "32", "deterministic": False}


class ExperimentConfig(_Section):
    name: str | None = Field(None, description="run-id prefix; default: the YAML file's stem")
    seed: int = Field(0, description="seeds initialisation, batch order, augmentation, splits")
    data: DataSettings = Field(default_factory=BuiltinData)
    signature: SignatureSpec = Field(default_factory=SignatureSpec)
    model: SerializeAsAny[ModelConfig] = Field(default_factory=_default_model)
    train: TrainConfig = Field(default_factory=TrainConfig)
    track: list[Literal[options.TRACKERS]] = Field(
        default_factory=list,
        description="also log each finished run to these trackers; an output only, so it is "
        "left out of the run id",
    )

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, value: str | None) -> str | None:
        if value is not None and (not value or "/" in value or value.startswith(".")):
            raise ValueError("must be a plain folder name (no '/', not starting with '.')")
        return value

    @field_validator("data", mode="before")
    @classmethod
    def _source_defaults_to_builtin(cls, value: Any) -> Any:
        """A data section that names no ``source`` is a built-in dataset's."""
        if isinstance(value, dict) and "source" not in value:
            return {**value, "source": DEFAULT_SOURCE}
        return value

    @field_validator("model", mode="before")
    @classmethod
    def _model_of_its_kind(cls, value: Any) -> Any:
        """Validate the section with its kind's own config class."""
        if isinstance(value, ModelConfig):
            if type(value) is _MODEL_CONFIGS.get(value.kind):
                return value
            value = value.model_dump()
        if not isinstance(value, dict):
            return value  # pydantic reports the wrong type
        kind = value.get("kind", DEFAULT_MODEL_KIND)
        return model_config_class(kind).model_validate({**value, "kind": kind})

    def fingerprint(self) -> str:
        """A short hash of every setting the run uses: equal configs give equal run ids.

        ``data.split_seed`` counts only where it draws other splits than ``seed`` would, so
        the first run of ``--seeds N`` is the plain run; for the same reason (old run ids
        stay valid) ``data.jpeg_draft`` counts only when on, and the multi-label keys only
        when set, as do the model keys its kind lists in ``id_when_set``; ``data.channels``
        counts, resolved, only where files are read as grayscale (RGB is how every file
        source read before the key existed); the keys of ``FLAT_DATA_DEFAULTS`` a source
        lacks count at those values. ``data.cache`` only says
        where pixels come from, so it never counts, nor do output keys (``track``). An image
        model's run id leaves out the ``signature`` section, which it never reads.
        ``train.device`` is a machine fact: every run is hashed as on ``cpu`` (the value run
        ids had before ``auto``), so the same spec lands in the same folder on any device;
        ``train.precision`` and ``train.deterministic`` count only when set.
        """
        unused = {"signature"} if self.model.input == "image" else set()
        settings = self.model_dump(mode="json", exclude=unused | OUTPUT_KEYS)
        defaults = type(self.model)(kind=self.model.kind).model_dump(mode="json")
        for key in self.model.id_when_set:
            if settings["model"][key] == defaults[key]:
                del settings["model"][key]
        data = settings["data"] = {**FLAT_DATA_DEFAULTS, **settings["data"]}
        del data["split_seed"], data["cache"]
        if not data.get("jpeg_draft"):
            data.pop("jpeg_draft", None)
        if data.get("channels") != GRAY:
            data.pop("channels", None)
        settings["train"].update(RUN_ID_TRAIN_SETTINGS)
        for key, default in TRAIN_DEFAULTS_LEFT_OUT.items():  # count only when set
            if settings["train"][key] == default:
                del settings["train"][key]
        for key, default in MULTILABEL_DEFAULTS.items():  # count only when set
            if data.get(key, default) == default:
                data.pop(key, None)
        if self.data.splits_seed(self.seed) != self.seed:
            data["split_seed"] = self.data.splits_seed(self.seed)
        blob = json.dumps(settings, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:10]

    def run_id(self) -> str:
        return f"{self.name or 'run'}-{self.fingerprint()}"


# --- dotted keys ---------------------------------------------------------------------------


def walk_key(root: Any, key: str, step: Callable[[Any, str, str], Any]) -> tuple[Any, str]:
    """Follow ``a.b.c`` from ``root``: ``step(node, part, path so far)`` goes one level down.

    Returns the node holding the last part, and that part. Every dotted-key lookup (``--set``,
    grid keys, report columns, error messages) goes through here.
    """
    *parents, leaf = key.split(".")
    node = root
    for depth, part in enumerate(parents):
        node = step(node, part, ".".join(parents[: depth + 1]))
    return node, leaf


Section = type[BaseModel] | type[SignatureSpec]


@dataclasses.dataclass(frozen=True)
class _Family:
    """A section whose keys depend on one of its settings (its tag): ``model.kind`` picks a
    model's config class, ``data.source`` a source's."""

    section: str
    tag: str
    default: str
    members: Mapping[str, type[BaseModel]]

    def tag_of(self, merged: dict[str, Any]) -> Any:
        """The tag a raw config mapping gives this section."""
        section = merged.get(self.section)
        return section.get(self.tag, self.default) if isinstance(section, dict) else self.default


_FAMILIES: dict[type[BaseModel], _Family] = {
    ModelConfig: _Family("model", "kind", DEFAULT_MODEL_KIND, _MODEL_CONFIGS),
    DataConfig: _Family("data", "source", DEFAULT_SOURCE, DATA_CONFIGS),
}


def _family(section: Section) -> _Family | None:
    if dataclasses.is_dataclass(section):
        return None
    return next((f for base, f in _FAMILIES.items() if issubclass(section, base)), None)


def _section_fields(section: Section, tag: str | None = None) -> dict[str, Any]:
    """A section's settings; a family's are its member's (``tag``; any member's if None)."""
    if dataclasses.is_dataclass(section):
        return {field.name: field for field in dataclasses.fields(section)}
    family = _family(section)
    if family is None:
        return dict(section.model_fields)
    if tag in family.members:
        return dict(family.members[tag].model_fields)
    return {name: f for cls in family.members.values() for name, f in cls.model_fields.items()}


def _subsection(section: Section, part: str) -> Section | None:
    """The section ``part`` of ``section`` names (a union's common base class, such as
    :class:`DataConfig`); None for a setting (or nothing)."""
    if dataclasses.is_dataclass(section):
        return None  # a dataclass section (signature) holds settings only
    field = section.model_fields.get(part)
    annotation = field.annotation if field is not None else None
    members = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    if not all(_is_section_class(m) for m in members):
        return None
    return next(base for base in members[0].__mro__ if all(issubclass(m, base) for m in members))


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _is_section_class(annotation: Any) -> bool:
    return isinstance(annotation, type) and (
        issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation)
    )


class _NotInSchema(Exception):
    """A dotted key that is not in the schema: ``path`` is how far it got."""

    def __init__(self, path: str, section: Section, known: bool) -> None:
        super().__init__(path)
        self.path, self.section, self.known = path, section, known


def _schema_step(section: Section, part: str, path: str) -> Section:
    child = _subsection(section, part)
    if child is None:
        raise _NotInSchema(path, section, part in _section_fields(section))
    return child


def check_key(key: object, source: str) -> str:
    """``key`` if it names one setting (not a section) of the schema, else a one-line error.

    A model key is valid when some registered kind has it; the kind is checked later.
    """
    if not isinstance(key, str) or not key:
        raise SigbenchError(f"{source}: grid key {key!r} must be a dotted config key")
    try:
        section, leaf = walk_key(ExperimentConfig, key, _schema_step)
    except _NotInSchema as problem:
        if problem.known:
            raise SigbenchError(f"{source}: {problem.path!r} is not a section") from None
        section, leaf = problem.section, ""
    fields = _section_fields(section)
    if leaf not in fields:
        allowed = ", ".join(sorted(fields))
        raise SigbenchError(f"{source}: unknown key {key!r}; allowed here: {allowed}")
    child = _subsection(section, leaf)
    if child is not None:
        example = next(iter(_section_fields(child)))
        raise SigbenchError(
            f"{source}: {key!r} is a section; name one of its settings, e.g. {key}.{example}"
        )
    return key


def get_setting(config: BaseModel, key: str, default: Any = None) -> Any:
    """The value of dotted ``key`` in ``config``; ``default`` where its model kind lacks it."""
    node, leaf = walk_key(config, key, lambda node, part, _: getattr(node, part))
    return getattr(node, leaf, default)


# --- overrides and validation --------------------------------------------------------------


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
        node, leaf = walk_key(merged, key, _dict_step(f"--set {text!r}"))
        node[leaf] = value
    return merged


def _dict_step(where: str) -> Callable[[dict[str, Any], str, str], dict[str, Any]]:
    """One level down a raw mapping, adding the section if it is missing."""

    def step(node: dict[str, Any], part: str, _: str) -> dict[str, Any]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise SigbenchError(f"{where}: {part!r} is not a section")
        return child

    return step


def _leave_out_other_members_keys(
    raw: dict[str, Any], merged: dict[str, Any], overridden: set[str], every_member: bool
) -> None:
    """Drop the file's model (data) keys the final kind (source) does not use, when the
    kind (source) was switched.

    ``every_member``: drop them whatever the kind or source (a config sigbench wrote itself,
    from before each had its own keys). Keys that overrides set are never dropped.
    """
    for family in _FAMILIES.values():
        name = family.section
        file_section, section = raw.get(name), merged.get(name)
        if not isinstance(file_section, dict) or not isinstance(section, dict):
            continue
        tag = family.tag_of(merged)
        switched = tag != family.tag_of(raw)
        known = isinstance(tag, str) and tag in family.members
        if name in overridden or not (switched or every_member) or not known:
            continue
        used = family.members[tag].model_fields
        for key in [k for k in section if k not in used and k in file_section]:
            if f"{name}.{key}" not in overridden:
                log.info("%s.%s: not used by %s.%s %s; left out", name, key, name, family.tag, tag)
                del section[key]


def _error_key(loc: tuple[Any, ...]) -> str:
    """The dotted config key of an error: its location without the union-member tags
    pydantic appends after a setting (``data.split_seed.int`` is ``data.split_seed``);
    list positions stay (``data.classes.0``)."""
    section: Section | None = ExperimentConfig
    parts: list[str] = []
    for part in loc:
        if section is None and not isinstance(part, int):
            break  # a union member's tag, not a key
        family = _family(section) if section is not None else None
        if family is not None and part in family.members and part not in section.model_fields:
            continue  # the tag of the discriminated union's member (data: csv)
        parts.append(str(part))
        if section is not None and not isinstance(part, int):
            section = _subsection(section, str(part))
    return ".".join(parts)


def _where(key: str, source: str, overrides: list[str]) -> str:
    """The ``--set`` that gave ``key`` (or a key inside it, or its section) its value, the
    last one winning; else the file."""
    for text in reversed(overrides):
        set_key = parse_override(text)[0]
        if key == set_key or f"{set_key}.".startswith(f"{key}.") or key.startswith(f"{set_key}."):
            return f"--set {text!r}"
    return source


def _describe_error(key: str, errors: list[dict[str, Any]], merged: dict[str, Any]) -> str:
    """What is wrong with ``key``: its value and every reason pydantic gave for it."""
    error = errors[0]
    if error["type"] == UNKNOWN_KIND:
        return unknown_kind_message(error["ctx"]["kind"])
    if error["type"] == "union_tag_invalid":
        return f"{key} = {error['ctx']['tag']!r}: choose one of {error['ctx']['expected_tags']}"
    if error["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        parent, _ = walk_key(ExperimentConfig, key, _schema_step)
        family = _family(parent)
        tag = family.tag_of(merged) if family else None
        allowed = ", ".join(sorted(_section_fields(parent, tag)))
        for_tag = f" for {family.section}.{family.tag} {tag!r}" if family else ""
        return f"unknown key {key!r}{for_tag}; allowed here: {allowed}"
    reasons = dict.fromkeys(e["msg"].removeprefix("Value error, ") for e in errors)
    return f"{key} = {error.get('input')!r}: {' or '.join(reasons)}"


def describe_errors(
    exc: ValidationError, source: str, set_flags: list[str], merged: dict[str, Any]
) -> str:
    """Every problem on one line, each named by the ``--set`` (of ``set_flags``) or the
    file it came from."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for error in exc.errors():
        key = _error_key(error["loc"])
        if error["type"] == UNKNOWN_KIND:
            key = "model.kind"
        elif error["type"] == "union_tag_invalid":
            discriminator = error["ctx"]["discriminator"].strip("'")  # "'source'"
            key = f"{key}.{discriminator}"
        by_key.setdefault(key, []).append(error)
    problems = [
        f"{_where(key, source, set_flags)}: {_describe_error(key, errors, merged)}"
        for key, errors in by_key.items()
    ]
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems: " + "; ".join(problems)


def validate_config(
    raw: dict[str, Any],
    source: str = "config",
    overrides: list[str] | None = None,
    *,
    written_by_sigbench: bool = False,
    from_command_line: bool = False,
) -> ExperimentConfig:
    """Validate a raw mapping (plus overrides) or raise a one-line :class:`SigbenchError`.

    ``data.channels: auto`` is resolved here, from the training images' stored modes, so the
    run id and the run's ``config.yaml`` hold the decision.

    ``written_by_sigbench``: ``raw`` is a run folder's resolved config, whose model section
    may hold keys of other kinds (written before each kind had its own); they are left out.
    A file source's config from before ``data.channels`` was read as RGB.
    ``from_command_line``: the overrides are the user's ``--set`` options, so an error in a
    value they set names that ``--set`` instead of ``source`` (a grid's or a search space's
    values are the grid's or the space's).
    """
    if not isinstance(raw, dict):
        raise SigbenchError(f"{source}: expected a mapping of sections, got {type(raw).__name__}")
    load_registries()  # the model kinds that --set keys and model sections are checked against
    merged = apply_overrides(raw, overrides)
    overridden = {parse_override(text)[0] for text in overrides or []}
    _leave_out_other_members_keys(raw, merged, overridden, written_by_sigbench)
    data = merged.get("data")
    reads_files = isinstance(data, dict) and data.get("source") not in (None, "builtin")
    if written_by_sigbench and reads_files:
        data.setdefault("channels", RGB)
    try:
        config = ExperimentConfig.model_validate(merged)
    except ValidationError as exc:
        set_flags = list(overrides or []) if from_command_line else []
        raise SigbenchError(describe_errors(exc, source, set_flags, merged)) from None
    config.data = with_resolved_channels(config.data)
    return config


# --- files ---------------------------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    """A YAML file's contents, or one line naming the file and the line that does not parse."""
    try:
        return yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise SigbenchError(f"{path}:{where}: YAML does not parse: {problem}") from None


def load_config(path: str | Path, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read, merge overrides into and validate one YAML experiment spec."""
    path = Path(path)
    if not path.is_file():
        raise SigbenchError(f"{path}: no such config file")
    config = validate_config(read_yaml(path) or {}, str(path), overrides, from_command_line=True)
    if config.name is None:
        config.name = path.stem
    return config


def dump_config(config: ExperimentConfig) -> str:
    """The resolved config as YAML: what a run folder stores and ``train`` can read back."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
