"""imagesig_lift's training step with each signature backend, side by side.

    PYTHONPATH=. .venv/bin/python scripts/bench_lift.py [--batch 128] [--rounds 5]

One process, one thread, the same model weights and the same random 28x28 grey batch:
forward, cross-entropy and backward of the whole model (lift, signatures of 56 row and
column streams, FC head) with ``model.backend`` torch and lanes, in interleaved rounds
(best of each kept, so load from other processes hits both alike). Prints seconds per
step and the ratio; the numbers in docs/models.md come from this script.
"""

from __future__ import annotations

import argparse
import time

import torch

from sigbench.models import create_model, model_config


def step_seconds(model: torch.nn.Module, pixels: torch.Tensor, labels: torch.Tensor) -> float:
    start = time.perf_counter()
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(pixels), labels).backward()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    pixels = torch.rand(args.batch, 1, 28, 28)
    labels = torch.randint(0, 10, (args.batch,))
    for lift_channels, depth in ((4, 3), (5, 3), (4, 4)):
        models = {}
        for backend in ("torch", "lanes"):
            config = model_config(
                "imagesig_lift", lift_channels=lift_channels, depth=depth, backend=backend
            )
            models[backend] = create_model(
                "imagesig_lift", input_shape=(1, 28, 28), num_classes=10, config=config
            )
        models["lanes"].load_state_dict(models["torch"].state_dict())
        best = {backend: float("inf") for backend in models}
        step_seconds(models["lanes"], pixels, labels)  # compiles the lanes kernels
        for _ in range(args.rounds):
            for backend, model in models.items():
                best[backend] = min(best[backend], step_seconds(model, pixels, labels))
        print(
            f"k={lift_channels} depth={depth} batch={args.batch}: "
            f"torch {best['torch']:.3f} s, lanes {best['lanes']:.3f} s per step, "
            f"lanes {best['torch'] / best['lanes']:.1f}x faster"
        )


if __name__ == "__main__":
    main()
