"""Inputs of ``scripts/mcu_check.sh``: a run's first test images as a C header for the
Cortex-M harness, the classes the x86 build of the same C export gives them, and the classes
and labels the run's own (torch) model recorded for them.

    python scripts/mcu_inputs.py RUN EXPORT_DIR OUT_DIR [--count 100]

Writes OUT_DIR/images.h (``test_images[TEST_IMAGES][H * W * C]``, uint8, as the export
takes them) and OUT_DIR/expected.txt (one class index per line, from the export compiled
with the system C compiler and called through ctypes), OUT_DIR/torch.txt (the run's
predictions.npz: the torch model's classes at the end of training) and OUT_DIR/labels.txt.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sigbench.experiments.inputs import run_splits
from sigbench.export.c_build import load_c
from sigbench.runs.checkpoint import load_run
from sigbench.runs.rundir import PREDICTIONS_FILE


def header(images: np.ndarray) -> str:
    rows = ["  {" + ", ".join(map(str, image.reshape(-1).tolist())) + "}" for image in images]
    return (
        "/* Test images for the Cortex-M harness, written by scripts/mcu_inputs.py. */\n"
        "#include <stdint.h>\n"
        f"#define TEST_IMAGES {len(images)}\n"
        f"static const uint8_t test_images[TEST_IMAGES][{images[0].size}] = {{\n"
        + ",\n".join(rows)
        + "\n};\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("export", type=Path, help="the C export's folder")
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    test = run_splits(load_run(args.run)).test
    images, labels = test.images[: args.count], np.asarray(test.labels)[: args.count]
    recorded = np.load(args.run / PREDICTIONS_FILE)
    if not np.array_equal(recorded["labels"][: args.count], labels):
        raise SystemExit(f"{args.run / PREDICTIONS_FILE}: its labels are not the test split's")
    classes = load_c(args.export).predict_proba(images).argmax(axis=1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "images.h").write_text(header(images))
    for name, values in (
        ("expected.txt", classes),
        ("torch.txt", recorded["predicted"][: args.count]),
        ("labels.txt", labels),
    ):
        (args.out / name).write_text("".join(f"{k}\n" for k in values))


if __name__ == "__main__":
    main()
