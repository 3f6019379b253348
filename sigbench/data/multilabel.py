"""Which data keys fit which task: the multi-label keys need a multi-label source, and the
single-label class keys (class choice, per-class caps, resampling) do not fit one."""

from __future__ import annotations

from sigbench.config import CsvData, DataConfig
from sigbench.errors import SigbenchError

MULTILABEL_SOURCES = "data.source: celeba, or data.source: csv with data.label_columns"


def check_task_keys(cfg: DataConfig) -> None:
    """A one-line error for a key the task of ``cfg`` cannot honour (the keys a source never
    reads are already refused by its config class)."""
    if not cfg.multilabel:
        if isinstance(cfg, CsvData) and cfg.attributes is not None:
            raise SigbenchError(
                f"data.attributes chooses attributes of a multi-label task ({MULTILABEL_SOURCES}); "
                "a single-label source chooses classes with data.classes"
            )
        return
    wrong = {
        "data.classes": (cfg.classes is not None, "choose attributes with data.attributes"),
        "data.max_per_class": (cfg.max_per_class is not None, "it caps single-label classes"),
        f"data.balance: {cfg.balance}": (
            cfg.balance in ("undersample", "oversample"),
            "resampling needs one class per image; use data.balance: class_weights (a "
            "positive weight per attribute)",
        ),
    }
    for key, (is_set, why) in wrong.items():
        if is_set:
            raise SigbenchError(f"{key} does not apply to a multi-label task: {why}")
