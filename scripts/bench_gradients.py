"""Signature gradients: forward, backward and forward+backward throughput of every backend
that has them, at the ImageSig shapes, in one process on the same float32 paths.

    .venv/bin/python scripts/bench_gradients.py [--quick] [--out results/bench/gradients.json]

Shapes: 64x64 RGB depth 4 (rows), 28x28 gray+time depth 4 (rows and columns), 32x32 RGB
depth 5 (rows). Per shape, in interleaved rounds (the best of each kept, every round's
time kept for ratios round by round): lanes (its kernels directly, the backward also
by its generic kernel, and forward+backward through ``lanes_signature`` and autograd, as
training runs it), pysiglib's ``sig`` and
``sig_backprop`` at each ``n_jobs``, signatory and sigbench's torch backend through
autograd. Each row gives images/s, CPU milliseconds per 1,000 images (all threads), and
the fraction of the machine's nominal float32 FMA peak that the lanes kernels' count of
multiplies at that rate would be (so the same work is divided by every library's time).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pysiglib
import signatory
import torch
from bench_signature import best_times, random_images, rates, round_ratio
from rich.console import Console
from rich.table import Table

from sigbench.signature import lanes_signature
from sigbench.signature.backends import lanes
from sigbench.signature.backends.lanes.backward_codegen import backward_multiplies
from sigbench.signature.backends.lanes.codegen import step_multiplies
from sigbench.signature.backends.torch_backend import path_signatures
from sigbench.signature.streams import stream_groups, transformed_paths

SHAPES = {  # label: (size, channels, path transform, depth, two_direction)
    "64x64 RGB depth 4, rows": (64, 3, "none", 4, False),
    "28x28 gray+time depth 4, rows and columns": (28, 1, "time", 4, True),
    "32x32 RGB depth 5, rows": (32, 3, "none", 5, False),
}
PYSIGLIB_JOBS = (1, 2, 4)
SLOW_SHARE = 10  # signatory and the torch backend are timed on a tenth of the images
# float32 fused multiply-adds per core per cycle: two 256-bit FMA pipes (AMD Zen 2-4, Intel
# client cores; AVX-512 on Zen 4 is split over the same pipes). Intel servers with two
# 512-bit pipes have 32: there the fractions below are twice the truth.
FMA_PER_CYCLE = 16
PASSES = ("forward", "backward", "forward+backward")


def nominal_fma_peak() -> float:
    """FMAs per second over the threads torch uses, at the clock /proc/cpuinfo reports."""
    with open("/proc/cpuinfo") as info:
        mhz = max(float(line.split(":")[1]) for line in info if line.startswith("cpu MHz"))
    return torch.get_num_threads() * FMA_PER_CYCLE * mhz * 1e6


def image_paths(count: int, size: int, channels: int, path: str, two_direction: bool):
    """(paths, streams per image): the float32 paths of ``count`` random images."""
    images = random_images(count, size, seed=5, channels=channels)
    groups = [
        transformed_paths(group, path, np.dtype(np.float32))
        for group in stream_groups(images, two_direction)
    ]
    paths = np.ascontiguousarray(np.concatenate(groups))
    return paths, len(paths) // count


def autograd_pass(sign: Callable[[torch.Tensor], torch.Tensor], paths: np.ndarray, grads):
    """Forward and backward through autograd, as a model trains: dL/dpaths of
    ``sum(grads * sign(paths))``."""
    tensor = torch.from_numpy(paths).requires_grad_()
    sign(tensor).backward(grads)
    return tensor.grad


def autograd_tasks(paths: np.ndarray, depth: int) -> dict[str, Callable[[], object]]:
    """signatory and the torch backend, forward+backward through autograd (tens of times
    slower than the others: timed on fewer images)."""
    signatures = lanes.signatures(paths, depth, False)
    grads = torch.from_numpy(np.random.default_rng(6).standard_normal(signatures.shape))
    grads = grads.to(torch.float32)
    return {
        "signatory: forward+backward": lambda: autograd_pass(
            lambda t: signatory.signature(t, depth), paths, grads
        ),
        "torch backend: forward+backward": lambda: autograd_pass(
            lambda t: path_signatures(t, depth), paths, grads
        ),
    }


def shape_tasks(paths: np.ndarray, depth: int) -> dict[str, Callable[[], object]]:
    """lanes' and pysiglib's passes on these paths, named '<backend>: <pass>'."""
    signatures = lanes.signatures(paths, depth, False)
    grads = np.random.default_rng(6).standard_normal(signatures.shape).astype(np.float32)
    torch_grads = torch.from_numpy(grads)
    tasks: dict[str, Callable[[], object]] = {
        "lanes: forward": lambda: lanes.signatures(paths, depth, False),
        "lanes: backward": lambda: lanes.signature_gradients(paths, signatures, grads, depth),
        "lanes, generic kernel: backward": lambda: lanes.signature_gradients(
            paths, signatures, grads, depth, unrolled=False
        ),
        "lanes: forward+backward": lambda: autograd_pass(
            lambda t: lanes_signature(t, depth), paths, torch_grads
        ),
    }
    for jobs in PYSIGLIB_JOBS:
        name = f"pysiglib n_jobs={jobs}"

        def backward(j: int = jobs) -> object:
            return pysiglib.sig_backprop(paths, signatures, grads, depth, n_jobs=j)

        def both(j: int = jobs) -> object:
            forward = pysiglib.sig(paths, depth, n_jobs=j)
            return pysiglib.sig_backprop(paths, forward, grads, depth, n_jobs=j)

        tasks[f"{name}: forward"] = lambda j=jobs: pysiglib.sig(paths, depth, n_jobs=j)
        tasks[f"{name}: backward"] = backward
        tasks[f"{name}: forward+backward"] = both
    return tasks


def check_gradients(paths: np.ndarray, depth: int) -> float:
    """lanes' float32 gradients against pysiglib's on the first 64 paths: the largest
    difference over the largest gradient (so that the rates are of the same result)."""
    few = paths[:64].copy()
    signatures = lanes.signatures(few, depth, False)
    grads = np.random.default_rng(7).standard_normal(signatures.shape).astype(np.float32)
    ours = lanes.signature_gradients(few, signatures, grads, depth)
    theirs = pysiglib.sig_backprop(few, pysiglib.sig(few, depth), grads, depth)
    return float(np.abs(ours - theirs).max() / np.abs(theirs).max())


def measure_shape(label: str, count: int, repeats: int, peak: float) -> dict:
    size, channels, path, depth, two_direction = SHAPES[label]
    paths, streams = image_paths(count, size, channels, path, two_direction)
    width, steps = paths.shape[-1], paths.shape[1] - 1
    multiplies = {
        "forward": step_multiplies(width, depth),
        "backward": backward_multiplies(width, depth),
    }
    multiplies["forward+backward"] = multiplies["forward"] + multiplies["backward"]
    rows = rates(best_times(shape_tasks(paths, depth), repeats), count)
    few = max(1, count // SLOW_SHARE)
    slow = autograd_tasks(paths[: few * streams], depth)
    rows |= rates(best_times(slow, max(1, repeats // 3)), few)
    for name, row in rows.items():
        work = multiplies[name.split(": ")[1]] * steps * streams
        row["fraction_of_fma_peak"] = row["images_per_second"] * work / peak
    pysiglib_best = max(
        (f"pysiglib n_jobs={jobs}: forward+backward" for jobs in PYSIGLIB_JOBS),
        key=lambda name: rows[name]["images_per_second"],
    )
    pysiglib_forward = max(
        (f"pysiglib n_jobs={jobs}: forward" for jobs in PYSIGLIB_JOBS),
        key=lambda name: rows[name]["images_per_second"],
    )

    def speedup(fast: str, slow: str) -> dict:
        return {
            "against": slow,
            "best_against_best": rows[fast]["images_per_second"] / rows[slow]["images_per_second"],
            "median_round": round_ratio(rows, fast, slow),
        }

    return {
        "paths_per_image": streams,
        "channels": width,
        "points": steps + 1,
        "depth": depth,
        "rows": rows,
        "lanes_forward_backward_speedup": speedup("lanes: forward+backward", pysiglib_best),
        "lanes_forward_speedup": speedup("lanes: forward", pysiglib_forward),
        "lanes_against_pysiglib_gradient_error": check_gradients(paths, depth),
    }


REVERSAL_SIZES = (32, 64, 512)  # photo side: path length
REVERSAL_ROWS = 16  # rows of each photo (evenly spaced): torch's autograd stores every step


def photo_rows(size: int) -> np.ndarray:
    """RGB rows of scikit-image's astronaut and cat, shrunk to size x size (area
    averaging), in [0, 1], float64: REVERSAL_ROWS of each."""
    from PIL import Image
    from skimage import data

    rows = []
    for photo in (data.astronaut(), data.chelsea()):
        pixels = np.asarray(Image.fromarray(photo).resize((size, size), Image.BOX))
        picked = np.linspace(0, size - 1, REVERSAL_ROWS).round().astype(int)
        rows.append(pixels[picked])
    return np.concatenate(rows).astype(np.float64) / 255


def float32_error(sign: Callable[[torch.Tensor], torch.Tensor], paths: np.ndarray) -> float:
    """Largest difference of float32 gradients from float64 ones, over the largest
    float64 gradient, for one random dL/dsignature."""
    signature = sign(torch.from_numpy(paths)).detach()
    grads = torch.from_numpy(np.random.default_rng(8).standard_normal(signature.shape))
    exact = autograd_pass(sign, paths, grads)
    single = autograd_pass(sign, paths.astype(np.float32), grads.to(torch.float32))
    return float((single.double() - exact).abs().max() / exact.abs().max())


def reversal_errors() -> dict[str, dict[str, float]]:
    """float32 against float64 gradients on photo rows at depths 4 and 5: lanes (which
    recovers each step's signature by running Chen's identity backwards) and the torch
    backend (autograd, which stores them: no reversal), so that the reversal's share of
    the float32 error shows."""
    errors = {}
    for size in REVERSAL_SIZES:
        paths = photo_rows(size)
        for depth in (4, 5):
            errors[f"{size} points, depth {depth}"] = {
                "lanes": float32_error(lambda t, d=depth: lanes_signature(t, d), paths),
                "torch backend": float32_error(lambda t, d=depth: path_signatures(t, d), paths),
            }
    return errors


def print_tables(console: Console, result: dict) -> None:
    for label, shape in result["shapes"].items():
        table = Table(title=f"{label}, float32, {result['images']} images")
        table.add_column("backend")
        table.add_column("pass")
        table.add_column("images/s", justify="right")
        table.add_column("CPU ms / 1000 images", justify="right")
        table.add_column("of FMA peak", justify="right")
        for name, row in shape["rows"].items():
            backend, which = name.split(": ")
            table.add_row(
                backend,
                which,
                f"{row['images_per_second']:,.0f}",
                f"{row['cpu_ms_per_1000_images']:,.0f}",
                f"{row['fraction_of_fma_peak']:.1%}",
            )
        console.print(table)
        for what in ("forward_backward", "forward"):
            ratio = shape[f"lanes_{what}_speedup"]
            console.print(
                f"lanes {what.replace('_', '+')} / {ratio['against']}: "
                f"{ratio['best_against_best']:.2f}x best against best, "
                f"{ratio['median_round']:.2f}x median round"
            )
        console.print(
            "lanes' float32 gradients against pysiglib's: largest difference "
            f"{shape['lanes_against_pysiglib_gradient_error']:.1e} of the largest gradient"
        )
    table = Table(title="float32 gradients' largest error against float64, of the largest")
    for column in ("photo rows (RGB)", "lanes (reversal)", "torch backend (stored)"):
        table.add_column(column, justify="right")
    for label, errors in result["reversal_errors"].items():
        table.add_row(label, f"{errors['lanes']:.1e}", f"{errors['torch backend']:.1e}")
    console.print(table)
    console.print(
        f"nominal FMA peak {result['fma_peak'] / 1e9:.0f} G/s ({result['threads']} threads x "
        f"{FMA_PER_CYCLE} float32 FMAs per cycle at the reported clock); load average "
        f"before / after: {result['load_before']} / {result['load_after']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, fewer images")
    parser.add_argument("--images", type=int, default=None, help="images per shape (400)")
    parser.add_argument("--out", type=Path, default=Path("results/bench/gradients.json"))
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    count = args.images or (100 if args.quick else 400)
    console = Console()
    peak = nominal_fma_peak()
    result: dict = {
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "fma_peak": peak,
        "images": count,
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "shapes": {},
    }
    for label in SHAPES:
        with console.status(label):
            result["shapes"][label] = measure_shape(label, count, repeats, peak)
    with console.status("float32 against float64 gradients"):
        result["reversal_errors"] = reversal_errors()
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print_tables(console, result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
