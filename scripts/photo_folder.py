"""An RGB ImageFolder of JPEG crops cut from scikit-image's colour photos (no download).

Each photo is one class; crops of random size and position, so that the images differ in
scale and content. Meant for timing and smoke runs (``sigbench bench inference``), where
what matters is real files at a real size, not a hard task.

    python scripts/photo_folder.py /tmp/photos --train 150 --test 40
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")
CROP = 128  # pixels on the side of the saved crops


def write_folder(root: Path, train: int, test: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for name in PHOTOS:
        photo = getattr(data, name)()
        height, width = photo.shape[:2]
        for split, count in (("train", train), ("test", test)):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                side = int(rng.integers(min(height, width) // 4, min(height, width) // 2))
                top, left = rng.integers(0, height - side), rng.integers(0, width - side)
                crop = Image.fromarray(photo[top : top + side, left : left + side])
                crop.resize((CROP, CROP), Image.BOX).save(folder / f"{i}.jpg", quality=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--train", type=int, default=150, help="images per class")
    parser.add_argument("--test", type=int, default=40, help="images per class")
    args = parser.parse_args()
    write_folder(args.root, args.train, args.test)
    print(f"{args.root}: {len(PHOTOS)} classes, {args.train} + {args.test} images each")


if __name__ == "__main__":
    main()
