"""A folder of numbered JPEGs (``1.jpg`` ... ``N.jpg``), the HTER task's test-set layout.

Each image is a jittered crop of one of scikit-image's LFW face / non-face crops (no
download), upsampled to the requested side, so that the files are real JPEGs of faces and
non-faces at a real size. Deterministic (seeded); an existing complete folder is left as it
is, so the 100,000-image set is written once. Meant for timing ``sigbench predict``:

    python scripts/numbered_jpegs.py /tmp/predict100k --count 100000 --size 64
    sigbench predict RUN /tmp/predict100k --format labels --out labels.txt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

JITTER = 4  # pixels a crop may lose off the 25x25 source, on each axis


def write_folder(root: Path, count: int, size: int, seed: int = 0) -> int:
    """Write the missing ones of ``1.jpg`` ... ``count.jpg``; return how many were written."""
    root.mkdir(parents=True, exist_ok=True)
    faces = (np.asarray(data.lfw_subset()) * 255).round().astype(np.uint8)  # (200, 25, 25)
    rng = np.random.default_rng(seed)
    choices = rng.integers(0, len(faces), count)
    corners = rng.integers(0, JITTER + 1, (count, 2))
    sides = faces.shape[1] - rng.integers(0, JITTER + 1, count)
    written = 0
    for number in range(1, count + 1):
        path = root / f"{number}.jpg"
        if path.exists():
            continue
        i = number - 1
        (top, left), side = np.minimum(corners[i], faces.shape[1] - sides[i]), sides[i]
        crop = faces[choices[i], top : top + side, left : left + side]
        image = Image.fromarray(crop, "L").resize((size, size), Image.BILINEAR).convert("RGB")
        image.save(path, quality=90)
        written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=64, help="side of the square JPEGs")
    args = parser.parse_args()
    written = write_folder(args.root, args.count, args.size)
    print(f"{args.root}: {args.count:,} numbered {args.size}x{args.size} JPEGs ({written:,} new)")


if __name__ == "__main__":
    main()
