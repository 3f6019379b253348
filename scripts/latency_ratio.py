"""CPU latency of a CNN baseline against ImageSig-FC at the same resolution.

Each figure is what ``metrics.json`` reports (one uint8 image, one thread, preprocessing and
the signature included; and images/s at batch 256), taken ``--rounds`` times with the two
models interleaved so a busy machine slows both alike; the best round is kept. Weights are
random: speed does not depend on them.

    python scripts/latency_ratio.py --sizes 28 32 64
"""

from __future__ import annotations

import argparse

import numpy as np

from sigbench.config import validate_config
from sigbench.experiments.inputs import inference_pipeline
from sigbench.models import create_model, model_entry
from sigbench.training.costs import inference_speed


def setting(size: int, channels: int, kind: str) -> dict:
    """The paper's rows-only RGB setting; grayscale gets the time channel and columns."""
    gray = channels == 1
    return {
        "data": {"image_size": size},
        "signature": {"depth": 4, "two_direction": gray, "path": "time" if gray else "none"},
        "model": {"kind": kind},
    }


def pipeline(size: int, channels: int, kind: str, classes: int):
    config = validate_config(setting(size, channels, kind), "latency_ratio")
    if model_entry(kind).input == "signature":
        shape = config.signature.feature_shape((1, size, size, channels))
    else:
        shape = (channels, size, size)
    model = create_model(kind, input_shape=shape, num_classes=classes, config=config.model)
    return inference_pipeline(config, model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 32, 64])
    parser.add_argument("--baseline", default="mobilenetv2")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"size  channels  imagesig_fc ms  img/s   {args.baseline} ms  img/s   ratio")
    for size in args.sizes:
        channels = 1 if size == 28 else 3  # 28: Fashion-MNIST's grayscale
        images = rng.integers(0, 256, (64, size, size, channels), dtype=np.uint8)
        kinds = ["imagesig_fc", args.baseline]
        runs = {kind: pipeline(size, channels, kind, 10) for kind in kinds}
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.rounds):
            for kind in kinds:
                speed = inference_speed(runs[kind], images)
                if kind not in best or speed["latency_ms"] < best[kind]["latency_ms"]:
                    best[kind] = speed
        sig, cnn = best["imagesig_fc"], best[args.baseline]
        print(
            f"{size:4d}  {channels:8d}  {sig['latency_ms']:14.3f}  {sig['images_per_s']:6.0f}   "
            f"{cnn['latency_ms']:{len(args.baseline) + 3}.3f}  {cnn['images_per_s']:6.0f}   "
            f"{cnn['latency_ms'] / sig['latency_ms']:5.1f}"
        )


if __name__ == "__main__":
    main()
