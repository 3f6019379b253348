"""Signature throughput of every backend, of ``featurize`` end to end, and of the reference loop.

    .venv/bin/python scripts/bench_signature.py [--quick] [--out results/bench/signature.json]

Everything runs in one process on the same arrays: each backend called directly on
prepared float32 paths (64x64 RGB at depth 4, also pysiglib at each ``n_jobs``; gray and
RGB with a time channel; 32x32 RGB at depths 1..5), ``featurize`` with lanes and with
pysiglib from uint8 images to a fresh cache file (a miss: hashing, conversion and writing
included), and the reference code's iisignature loop. The competing measurements are
taken in interleaved rounds and the best of each kept, so that load from other
processes on a shared machine hits them alike. Peak memory is measured in a subprocess
while featurizing many 64x64 images into a cache file, and the lanes kernel's first call
in fresh processes, with an empty and then a warm kernel cache. Last, lanes is checked
against iisignature on a few images of every benchmarked shape (the worst signature
level's relative error, float64 and float32), so the speed is that of exact features.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pysiglib
import torch
from rich.console import Console
from rich.table import Table

from sigbench.signature import SignatureSpec, available_backends, featurize
from sigbench.signature.backends import backend_function
from sigbench.signature.backends.iisignature_backend import reference_loop
from sigbench.signature.streams import transformed_paths, unit_paths

MAIN_SIZE, MAIN_DEPTH = 64, 4
SMALL_SIZE, DEPTHS = 32, (1, 2, 3, 4, 5)
PYSIGLIB_JOBS = (1, 4)  # besides the backend's own (torch's thread count: 2 here)
FEATURIZE = {name: f"featurize ({name}, cache miss)" for name in ("lanes", "pysiglib")}


def random_images(count: int, size: int, seed: int = 0, channels: int = 3) -> np.ndarray:
    shape = (count, size, size, channels)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def row_paths(images: np.ndarray) -> np.ndarray:
    """The float32 row paths every backend is timed on (prepared outside the timing)."""
    return unit_paths(images, np.dtype(np.float32))


def best_times(
    tasks: dict[str, Callable[[], object]],
    repeats: int,
    after: Callable[[], object] = lambda: None,
) -> dict[str, dict]:
    """Wall and CPU seconds of each task: one warm-up, then ``repeats`` interleaved rounds.

    Every round's wall time is kept (``rounds``) for ratios taken round by round, and the
    best of each. CPU time (all threads) shows the work a task costs even when other
    processes make wall time noisy. ``after`` runs after each task, outside the timing.
    """
    for task in tasks.values():
        task()
        after()
    times = {name: {"rounds": [], "cpu": float("inf")} for name in tasks}
    for _ in range(repeats):
        for name, task in tasks.items():
            wall, cpu = time.perf_counter(), time.process_time()
            task()
            times[name]["rounds"].append(time.perf_counter() - wall)
            times[name]["cpu"] = min(times[name]["cpu"], time.process_time() - cpu)
            after()
    for measured in times.values():
        measured["wall"] = min(measured["rounds"])
    return times


def rates(times: dict[str, dict], count: int) -> dict[str, dict]:
    return {
        name: {
            "images_per_second": count / seconds["wall"],
            "cpu_ms_per_1000_images": 1e6 * seconds["cpu"] / count,
            "round_seconds": seconds["rounds"],
        }
        for name, seconds in times.items()
    }


class FeaturizeMiss:
    """A featurize call that always misses: a fresh cache folder per call.

    ``clean`` deletes the folders written so far; the benchmark calls it after each task,
    outside the timing. Keeping them would measure this VM more than sigbench: a file
    written into never-used memory cost 40 ms per 32 MB here, and 7 ms once freed pages
    are reused.
    """

    def __init__(self, images: np.ndarray, depth: int, backend: str, root: Path) -> None:
        self.images, self.root = images, root
        self.settings = SignatureSpec(depth=depth, backend=backend)
        self.calls = itertools.count()

    def __call__(self) -> None:
        folder = self.root / str(next(self.calls))
        features = featurize(self.images, self.settings, cache_dir=folder)
        assert features.cache == "miss"

    def clean(self) -> None:
        for folder in self.root.iterdir():
            shutil.rmtree(folder)


def main_comparison(count: int, reference_count: int, repeats: int, root: Path) -> dict:
    """64x64 RGB depth 4: every backend, featurize, and the reference loops, interleaved."""
    images = random_images(count, MAIN_SIZE)
    paths = row_paths(images)
    tasks: dict[str, Callable[[], object]] = {
        f"backend {name}": (lambda f=backend_function(name): f(paths, MAIN_DEPTH, False))
        for name in available_backends()
    }
    for jobs in PYSIGLIB_JOBS:
        tasks[f"pysiglib n_jobs={jobs}"] = lambda j=jobs: pysiglib.signature(
            paths, MAIN_DEPTH, n_jobs=j
        )
    misses = {
        name: FeaturizeMiss(images, MAIN_DEPTH, backend, root / backend)
        for backend, name in FEATURIZE.items()
    }
    for backend in FEATURIZE:
        (root / backend).mkdir()
    tasks |= misses
    flat = images.reshape(-1, MAIN_SIZE, 3)
    tasks["pysiglib from uint8, converted inline"] = lambda: pysiglib.signature(
        flat.astype(np.float32) / 255, MAIN_DEPTH, n_jobs=torch.get_num_threads()
    )

    def clean() -> None:
        for miss in misses.values():
            miss.clean()

    result = rates(best_times(tasks, repeats, after=clean), count)
    few = images[:reference_count]
    loops = {
        "reference loop, iisignature per row": lambda: reference_loop(few, MAIN_DEPTH),
        "iisignature, one call per image": lambda: reference_loop(few, MAIN_DEPTH, per_row=False),
    }
    return result | rates(best_times(loops, max(1, repeats // 2)), reference_count)


def backend_rates(paths: np.ndarray, depth: int, count: int, repeats: int) -> dict[str, float]:
    """Images/s of every backend on the same paths (``count`` images' worth)."""
    tasks = {
        name: (lambda f=backend_function(name): f(paths, depth, False))
        for name in available_backends()
    }
    return {
        name: rate["images_per_second"]
        for name, rate in rates(best_times(tasks, repeats), count).items()
    }


def channel_rows(count: int, repeats: int) -> dict[str, dict[str, float]]:
    """64x64 at depth 4 with a time channel: gray (2 channels) and RGB (4), images/s."""
    sweep: dict[str, dict[str, float]] = {name: {} for name in available_backends()}
    for label, channels in (("gray+time", 1), ("RGB+time", 3)):
        images = random_images(count, MAIN_SIZE, seed=3, channels=channels)
        paths = transformed_paths(images, "time", np.dtype(np.float32))
        for name, rate in backend_rates(paths, MAIN_DEPTH, count, repeats).items():
            sweep[name][label] = rate
    return sweep


FIRST_CALL = """
import sys, time
started = time.perf_counter()
import numpy as np
from sigbench.signature.backends.lanes import signatures
imported = time.perf_counter()
paths = np.random.default_rng(0).random((64, 64, 3)).astype(np.float32)
signatures(paths, 4, False)
print(imported - started, time.perf_counter() - imported)
"""


def first_call() -> dict[str, dict[str, float]]:
    """Seconds to import the lanes backend and to make its first call (64x64 RGB depth 4,
    float32), in a fresh process with an empty kernel cache, then with the warm one."""
    timings = {}
    with tempfile.TemporaryDirectory() as cache:
        for state in ("cold", "warm"):
            done = subprocess.run(
                [sys.executable, "-c", FIRST_CALL],
                env={**os.environ, "NUMBA_CACHE_DIR": cache},
                check=True,
                capture_output=True,
                text=True,
            )
            imported, called = map(float, done.stdout.split())
            timings[state] = {"import_seconds": imported, "first_call_seconds": called}
    return timings


def depth_sweep(count: int, repeats: int) -> dict[str, dict[int, float]]:
    """32x32 RGB, depths 1..5: images/s of each backend."""
    paths = row_paths(random_images(count, SMALL_SIZE, seed=1))
    sweep: dict[str, dict[int, float]] = {name: {} for name in available_backends()}
    for depth in DEPTHS:
        for name, rate in backend_rates(paths, depth, count, repeats).items():
            sweep[name][depth] = rate
    return sweep


EXACTNESS_IMAGES = 10


def level_error(result: np.ndarray, expected: np.ndarray, channels: int, depth: int) -> float:
    """The worst level's largest difference over that level's largest term (so that small
    upper levels are held to the same relative standard as level 1)."""
    ends = np.cumsum([channels**k for k in range(1, depth + 1)])
    return max(
        float(np.abs(result[:, a:b] - expected[:, a:b]).max() / np.abs(expected[:, a:b]).max())
        for a, b in zip([0, *ends[:-1]], ends, strict=True)
    )


def exactness() -> dict[str, dict[str, float]]:
    """lanes against iisignature (float64) on every benchmarked shape: the worst level's
    relative error, for lanes in float64 and in float32."""
    lanes, reference = backend_function("lanes"), backend_function("iisignature")
    shapes = {
        f"{MAIN_SIZE}x{MAIN_SIZE} RGB depth {MAIN_DEPTH}": (MAIN_SIZE, 3, "none", MAIN_DEPTH),
        f"{MAIN_SIZE}x{MAIN_SIZE} gray+time depth {MAIN_DEPTH}": (MAIN_SIZE, 1, "time", MAIN_DEPTH),
        f"{MAIN_SIZE}x{MAIN_SIZE} RGB+time depth {MAIN_DEPTH}": (MAIN_SIZE, 3, "time", MAIN_DEPTH),
        **{f"{SMALL_SIZE}x{SMALL_SIZE} RGB depth {d}": (SMALL_SIZE, 3, "none", d) for d in DEPTHS},
    }
    errors = {}
    for label, (size, channels, path, depth) in shapes.items():
        images = random_images(EXACTNESS_IMAGES, size, seed=4, channels=channels)
        paths = transformed_paths(images, path, np.dtype(np.float64))
        expected = reference(paths, depth, False)
        errors[label] = {
            dtype.__name__: level_error(
                lanes(paths.astype(dtype), depth, False), expected, paths.shape[-1], depth
            )
            for dtype in (np.float64, np.float32)
        }
    return errors


def resident_bytes() -> dict[str, int]:
    """Resident memory now: all of it (VmRSS) and the anonymous part (RssAnon)."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon"):
                fields[name] = int(value.split()[0]) * 1024
    return fields


def memory_child(count: int) -> None:
    """Featurize ``count`` 64x64 images into a cache file; print peak RSS above baseline."""
    images = random_images(count, MAIN_SIZE, seed=2)
    baseline = resident_bytes()
    peak, done = dict(baseline), threading.Event()

    def sample() -> None:
        while not done.is_set():
            for name, value in resident_bytes().items():
                peak[name] = max(peak[name], value)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        features = featurize(images, SignatureSpec(depth=MAIN_DEPTH), cache_dir=Path(folder))
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        file_bytes = sum(path.stat().st_size for path in Path(folder).glob("*.npy"))
    print(
        json.dumps(
            {
                "images": count,
                "image_bytes": images.nbytes,
                "feature_file_bytes": file_bytes,
                "baseline_rss_bytes": baseline["VmRSS"],
                "peak_rss_above_baseline_bytes": peak["VmRSS"] - baseline["VmRSS"],
                "peak_anon_above_baseline_bytes": peak["RssAnon"] - baseline["RssAnon"],
                "maxrss_above_baseline_bytes": max_rss - baseline["VmRSS"],
                "seconds": seconds,
                "images_per_second": count / seconds,
                "cache": features.cache,
            }
        )
    )


def peak_memory(count: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(count)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def print_tables(console: Console, result: dict) -> None:
    main = Table(title=f"{MAIN_SIZE}x{MAIN_SIZE} RGB, depth {MAIN_DEPTH}, float32")
    main.add_column("what")
    main.add_column("images/s", justify="right")
    main.add_column("CPU ms / 1000 images", justify="right")
    for name, rate in result["main"].items():
        main.add_row(
            name, f"{rate['images_per_second']:,.0f}", f"{rate['cpu_ms_per_1000_images']:,.0f}"
        )
    console.print(main)

    channels = Table(title=f"{MAIN_SIZE}x{MAIN_SIZE}, depth {MAIN_DEPTH}, with a time channel")
    channels.add_column("backend")
    for label in ("gray+time", "RGB+time"):
        channels.add_column(f"{label}, images/s", justify="right")
    for name, by_label in result["channel_rows"].items():
        channels.add_row(name, *(f"{rate:,.0f}" for rate in by_label.values()))
    console.print(channels)

    sweep = Table(title=f"{SMALL_SIZE}x{SMALL_SIZE} RGB, images/s by depth")
    sweep.add_column("backend")
    for depth in DEPTHS:
        sweep.add_column(f"depth {depth}", justify="right")
    for name, by_depth in result["depth_sweep"].items():
        sweep.add_row(name, *(f"{by_depth[d]:,.0f}" for d in DEPTHS))
    console.print(sweep)

    ratio = result["ratios"]
    console.print(
        f"lanes / pysiglib at its best n_jobs ({ratio['pysiglib_best']}): "
        f"{ratio['lanes_over_pysiglib_best']:.2f}x best against best, "
        f"{ratio['lanes_over_pysiglib_best_median_round']:.2f}x median round; featurize with "
        f"lanes / with pysiglib: {ratio['featurize_lanes_over_pysiglib']:.2f}x, "
        f"{ratio['featurize_lanes_over_pysiglib_median_round']:.2f}x median round"
    )
    console.print(
        f"featurize / fastest backend ({ratio['fastest_backend']}) on ready float paths: "
        f"{ratio['featurize_over_fastest_backend']:.2f}x best against best, "
        f"{ratio['featurize_over_fastest_backend_median_round']:.2f}x median round; "
        f"/ pysiglib from the same uint8 "
        f"images: {ratio['featurize_over_pysiglib_from_uint8']:.2f}x; / reference loop: "
        f"{ratio['featurize_over_reference_loop']:.1f}x (per row), "
        f"{ratio['featurize_over_per_image_loop']:.1f}x (per image)"
    )
    memory = result["memory"]
    gib = 1 << 30
    console.print(
        f"featurizing {memory['images']:,} images: peak RSS "
        f"{memory['peak_rss_above_baseline_bytes'] / gib:.2f} GiB above the baseline "
        f"(anonymous {memory['peak_anon_above_baseline_bytes'] / gib:.2f} GiB; the "
        f"{memory['feature_file_bytes'] / gib:.2f} GiB feature file is written, not mapped), "
        f"{memory['images_per_second']:,.0f} images/s"
    )
    for state, seconds in result["first_call"].items():
        console.print(
            f"lanes, {state} kernel cache: import {seconds['import_seconds']:.1f} s, first call "
            f"(64x64 RGB depth 4, float32) {seconds['first_call_seconds']:.2f} s"
        )
    worst = {
        dtype: max(errors[dtype] for errors in result["exactness"].values())
        for dtype in ("float64", "float32")
    }
    console.print(
        f"lanes against iisignature, {EXACTNESS_IMAGES} images of each shape above: worst "
        f"level's relative error {worst['float64']:.1e} in float64, "
        f"{worst['float32']:.1e} in float32"
    )
    console.print(f"load average before / after: {result['load_before']} / {result['load_after']}")


def round_ratio(main: dict[str, dict], fast: str, slow: str) -> float:
    """Median over the rounds of ``slow``'s time / ``fast``'s (the speed ratio fast/slow).

    The two ran back to back in each round, so a busy spell on the machine hits both.
    """
    pairs = zip(main[slow]["round_seconds"], main[fast]["round_seconds"], strict=True)
    return statistics.median(slow_s / fast_s for slow_s, fast_s in pairs)


def ratios(main: dict[str, dict]) -> dict:
    speed = {name: rate["images_per_second"] for name, rate in main.items()}
    backends = {k.removeprefix("backend "): v for k, v in speed.items() if k.startswith("backend ")}
    fastest = max(backends, key=backends.__getitem__)
    featurize_name = FEATURIZE["lanes"]
    end_to_end = speed[featurize_name]
    pysiglib_runs = ["backend pysiglib", *(f"pysiglib n_jobs={jobs}" for jobs in PYSIGLIB_JOBS)]
    pysiglib_best = max(pysiglib_runs, key=speed.__getitem__)
    return {
        "pysiglib_best": pysiglib_best,
        "lanes_over_pysiglib_best": speed["backend lanes"] / speed[pysiglib_best],
        "lanes_over_pysiglib_best_median_round": round_ratio(main, "backend lanes", pysiglib_best),
        "featurize_lanes_over_pysiglib": end_to_end / speed[FEATURIZE["pysiglib"]],
        "featurize_lanes_over_pysiglib_median_round": round_ratio(
            main, featurize_name, FEATURIZE["pysiglib"]
        ),
        "fastest_backend": fastest,
        "featurize_over_fastest_backend": end_to_end / backends[fastest],
        "featurize_over_fastest_backend_median_round": round_ratio(
            main, featurize_name, f"backend {fastest}"
        ),
        "featurize_over_pysiglib_from_uint8": end_to_end
        / speed["pysiglib from uint8, converted inline"],
        "featurize_over_reference_loop": end_to_end / speed["reference loop, iisignature per row"],
        "featurize_over_per_image_loop": end_to_end / speed["iisignature, one call per image"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, fewer images")
    parser.add_argument("--out", type=Path, default=Path("results/bench/signature.json"))
    parser.add_argument("--memory-images", type=int, default=None)
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        memory_child(args.memory_child)
        return

    repeats = 3 if args.quick else 7
    memory_images = args.memory_images or (10_000 if args.quick else 100_000)
    console = Console()
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads()},
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "batch_images": 1000,
    }
    with (
        console.status("64x64 depth 4: backends, featurize, reference loop"),
        tempfile.TemporaryDirectory() as root,
    ):
        result["main"] = main_comparison(1000, 100 if args.quick else 200, repeats, Path(root))
    with console.status("64x64 depth 4 with a time channel, gray and RGB"):
        result["channel_rows"] = channel_rows(500, max(1, repeats // 2))
    with console.status("32x32 depths 1..5"):
        result["depth_sweep"] = depth_sweep(1000, max(1, repeats // 2))
    with console.status("the lanes kernel's first call, cold and warm"):
        result["first_call"] = first_call()
    with console.status(f"peak memory featurizing {memory_images:,} images"):
        result["memory"] = peak_memory(memory_images)
    with console.status("lanes against iisignature"):
        result["exactness"] = exactness()
    result["ratios"] = ratios(result["main"])
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print_tables(console, result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
