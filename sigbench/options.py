"""The closed option lists of the experiment schema, each written once.

The config schema (the bottom layer) turns each list into a ``Literal`` type; the module
named beside it implements exactly these names and reads them from here (a test checks
each implementation covers its list); CLI help and the tests read them from here too. This
module imports nothing, so the signature engine, the data layer and the config can all
use it without depending on each other.

Model kinds are not here: they are an open set, registered by the model family modules
(:func:`sigbench.models.register_model`), each with its own config class.
"""

from __future__ import annotations

# sigbench.signature.streams: what each stream becomes before its signature is taken.
PATH_TRANSFORMS: tuple[str, ...] = ("none", "time", "lead_lag", "basepoint")

# sigbench.signature.backends, fastest first as measured by scripts/bench_signature.py:
# ``auto`` takes the first that loads.
SIGNATURE_BACKENDS: tuple[str, ...] = ("lanes", "pysiglib", "signatory", "torch", "iisignature")
AUTO_BACKEND = "auto"

# sigbench.signature.spec: the truncation depths a signature may take (the schema's bounds,
# and `sigbench signature --depth`'s).
MIN_DEPTH, MAX_DEPTH = 1, 8

# sigbench.data.augment: offline copies for ImageSig, online per batch for image models.
AUGMENTATIONS: tuple[str, ...] = (
    "flip_horizontal",
    "flip_vertical",
    "brightness",
    "color",
    "rotate45",
    "noise",
)

# sigbench.data.sources: where images come from.
DATA_SOURCES: tuple[str, ...] = ("builtin", "imagefolder", "labelfile", "csv", "celeba")

# sigbench.models.transfer: what a pretrained baseline trains.
FINETUNE_MODES: tuple[str, ...] = ("head", "last_stage", "full")

# sigbench.training.device: where a run trains and scores (``cuda:N`` names one GPU); ``auto``
# takes the first GPU, else MPS, else the CPU.
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")

# sigbench.training.device: the float format of the forward pass (autocast) during training.
PRECISIONS: tuple[str, ...] = ("32", "bf16", "16-mixed")

# sigbench.sweeps.executors: where a sweep's runs train (``--executor``).
EXECUTORS: tuple[str, ...] = ("local", "ray")

# sigbench.sweeps.study: the validation scores ``tune --metric`` can optimise.
TUNE_METRICS: tuple[str, ...] = ("val_acc", "val_loss", "val_hter")

# sigbench.tracking: where ``--track`` logs finished runs.
TRACKERS: tuple[str, ...] = ("mlflow", "tensorboard")

# sigbench.reporting.report: what ``sigbench report --format`` writes for each sweep's table,
# and ``--figures`` for its plots (any format matplotlib writes by the file's suffix).
TABLE_FORMATS: tuple[str, ...] = ("csv", "md", "tex")
FIGURE_FORMATS: tuple[str, ...] = ("png", "pdf", "svg")
DEFAULT_TABLE_FORMATS: tuple[str, ...] = ("csv", "md")
DEFAULT_FIGURE_FORMATS: tuple[str, ...] = ("png",)

# sigbench.data.transforms: what ``eval --robustness`` scores the test images under.
ROBUSTNESS_TRANSFORMS: tuple[str, ...] = ("scale", "flip", "brightness", "noise", "rotation")

# sigbench.experiments.robustness: the flip sets ``eval --tta`` averages over.
TTA_CHOICES: tuple[str, ...] = ("flips", "hflip")

# sigbench.training.equivariance: what ``eval --equivariance --transform`` applies.
EQUIVARIANCE_TRANSFORMS: tuple[str, ...] = ("scale", "rotate")

# sigbench.experiments.predict: what ``predict --format`` writes.
PREDICT_FORMATS: tuple[str, ...] = ("csv", "labels")

# sigbench.export.pipeline: what ``export --format`` writes, and ``--quantize``.
EXPORT_FORMATS: tuple[str, ...] = ("onnx", "torchscript", "c")
QUANTIZATIONS: tuple[str, ...] = ("none", "int8")
