"""A tiny CelebA-layout folder from scikit-learn's digits (no download), with attributes
derived from each digit and its pixels (see sigbench.data.celeba_layout).

    python scripts/make_celeba_layout.py /tmp/celeba-digits --count 400
    sigbench train configs/celeba_digits.yaml --set data.root=/tmp/celeba-digits
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sigbench.data.celeba_layout import write_celeba_layout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--count", type=int, default=None, help="images (default: all 1,797)")
    parser.add_argument("--size", type=int, default=32, help="side of the saved JPEGs")
    args = parser.parse_args()
    root = write_celeba_layout(args.root, args.count, args.size)
    print(f"wrote the CelebA layout to {root}")


if __name__ == "__main__":
    main()
