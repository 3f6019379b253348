"""Signature throughput and memory, every backend side by side in one process.

    .venv/bin/python scripts/bench_signature.py [--quick] [--out results/bench/signature.json]

Measures images/s on the same uint8 arrays for: each backend called directly on ready
float paths (its raw speed), sigbench's ``featurize`` end to end (uint8 in, cached
memory-mapped features out, backend ``auto``), and the reference code's loop of one
iisignature call per image; then the peak memory of featurizing many 64x64 images.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from sigbench.signature import SignatureSettings, available_backends, featurize
from sigbench.signature.backends import backend_function
from sigbench.signature.backends.iisignature_backend import reference_loop

console = Console()


def best_seconds(call: Callable[[], object], repeats: int) -> float:
    call()  # warm up: thread pools, prepared tables, page faults
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return min(timings)


def raw_paths(images: np.ndarray) -> torch.Tensor:
    n, height, width, channels = images.shape
    return torch.from_numpy(images.reshape(n * height, width, channels).astype(np.float32) / 255)


def backend_rates(images: np.ndarray, depth: int, repeats: int) -> dict[str, float]:
    paths = raw_paths(images)
    return {
        name: len(images)
        / best_seconds(lambda f=backend_function(name): f(paths, depth, False), repeats)
        for name in available_backends()
    }


def featurize_rate(images: np.ndarray, depth: int, repeats: int) -> float:
    settings = SignatureSettings(depth=depth)

    def cold_run() -> None:
        with tempfile.TemporaryDirectory() as cache:
            assert featurize(images, settings, cache_dir=Path(cache)).cache == "miss"

    return len(images) / best_seconds(cold_run, repeats)


MEMORY_PROBE = """
import sys, tempfile, threading, time
from pathlib import Path
import numpy as np
from sigbench.signature import SignatureSettings, featurize

def anon_kb():
    for line in open('/proc/self/status'):
        if line.startswith('RssAnon:'):
            return int(line.split()[1])

count = int(sys.argv[1])
images = np.random.default_rng(0).integers(0, 256, (count, 64, 64, 3), dtype=np.uint8)
baseline = anon_kb()
peak = [baseline]
done = threading.Event()
def watch():
    while not done.is_set():
        peak[0] = max(peak[0], anon_kb())
        time.sleep(0.02)
watcher = threading.Thread(target=watch)
watcher.start()
with tempfile.TemporaryDirectory() as cache:
    started = time.perf_counter()
    features = featurize(images, SignatureSettings(depth=4), cache_dir=Path(cache))
    seconds = time.perf_counter() - started
    done.set(); watcher.join()
    print(peak[0] - baseline, features.array.nbytes, seconds)
"""


def memory_probe(count: int) -> dict[str, float]:
    """Peak anonymous memory (not the memory-mapped feature file) above the input images."""
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(count)], capture_output=True, text=True, check=True
    ).stdout.split()
    extra_kb, feature_bytes, seconds = int(out[0]), int(out[1]), float(out[2])
    return {
        "images": count,
        "peak_extra_mb": extra_kb / 1024,
        "feature_file_mb": feature_bytes / 2**20,
        "seconds": seconds,
        "images_per_s": count / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer images and repeats")
    parser.add_argument("--out", type=Path, default=Path("results/bench/signature.json"))
    args = parser.parse_args()
    count, repeats = (300, 1) if args.quick else (1000, 3)
    memory_images = 20_000 if args.quick else 100_000
    rng = np.random.default_rng(0)
    images64 = rng.integers(0, 256, (count, 64, 64, 3), dtype=np.uint8)
    images32 = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)

    raw64 = backend_rates(images64, 4, repeats)
    fastest = max(raw64, key=raw64.get)
    end_to_end = featurize_rate(images64, 4, repeats)
    loop_count = min(count, 300)
    reference = loop_count / best_seconds(lambda: reference_loop(images64[:loop_count], 4), 1)
    by_depth = {depth: backend_rates(images32, depth, 1) for depth in range(1, 6)}
    memory = memory_probe(memory_images)

    report = {
        "threads": torch.get_num_threads(),
        "images": count,
        "raw_64x64_depth4": raw64,
        "featurize_64x64_depth4": end_to_end,
        "reference_loop_64x64_depth4": reference,
        "featurize_vs_fastest_backend": end_to_end / raw64[fastest],
        "featurize_vs_reference_loop": end_to_end / reference,
        "fastest_backend": fastest,
        "raw_32x32_by_depth": by_depth,
        "memory": memory,
    }

    table = Table(title="images/s, 64x64 RGB, depth 4", title_justify="left")
    table.add_column("what")
    table.add_column("images/s", justify="right")
    for name, rate in raw64.items():
        table.add_row(f"{name} (raw, on ready float paths)", f"{rate:,.0f}")
    table.add_row("sigbench featurize (auto, uint8 in, cache file out)", f"{end_to_end:,.0f}")
    table.add_row("reference loop (iisignature, one call per image)", f"{reference:,.0f}")
    console.print(table)
    console.print(
        f"featurize / fastest backend ({fastest}): {report['featurize_vs_fastest_backend']:.2f}x; "
        f"featurize / reference loop: {report['featurize_vs_reference_loop']:.1f}x"
    )
    depth_table = Table(title="images/s, 32x32 RGB, by depth", title_justify="left")
    depth_table.add_column("backend")
    for depth in by_depth:
        depth_table.add_column(f"depth {depth}", justify="right")
    for name in raw64:
        depth_table.add_row(name, *(f"{by_depth[d][name]:,.0f}" for d in by_depth))
    console.print(depth_table)
    console.print(
        f"featurizing {memory['images']:,} images 64x64 depth 4: peak memory "
        f"{memory['peak_extra_mb']:,.0f} MB beyond the images and the "
        f"{memory['feature_file_mb']:,.0f} MB feature file ({memory['images_per_s']:,.0f} images/s)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
