"""What sigbench does on a CUDA GPU, measured beside the CPU in one process.

    .venv/bin/python scripts/gpu_check.py [--out results/gpu_check.md] [--quick]

Run by ``scripts/gpu_check.sh`` (``make gpu-check``) after the ``cuda`` tests. Five parts,
each a table in the markdown file written to ``--out``:

1. the demo spec (``configs/demo.yaml``) trained on ``cuda`` and on ``cpu`` from the same
   seed: test accuracy and wall time of each (the two should agree to a point or so; the
   GPU is not expected to win on 8x8 digits);
2. every model in the ``models`` grid trained one epoch on the GPU at 32x32: it finishes,
   with its accuracy and time, so a kind that cannot run on CUDA shows up by name;
3. signatures of 64x64 RGB row paths at depth 4 on the GPU (the torch backend, signatory,
   pysiglib where their CUDA builds load) against lanes on the CPU: images/s and the worst
   relative error of the GPU result against lanes (float32);
4. ``featurize`` end to end with backend auto on the CPU and on the GPU: images/s and the
   GPU features' worst relative error against the CPU's;
5. training throughput of resnet18 on 64x64 RGB: images/s on the CPU and on the GPU in
   float32, bf16 and 16-mixed.

A part that fails is reported in its table with the error's first line, a result outside
its tolerance (``DEMO_TOLERANCE_POINTS``, ``SIGNATURE_TOLERANCE``) as MISMATCH, and the
script then exits 1 at the end, so one broken part does not hide the others.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from sigbench.config import TrainConfig, load_config
from sigbench.experiments.train import train_run
from sigbench.models import create_model, model_config
from sigbench.signature import SignatureSpec, featurize
from sigbench.signature.backends import backend_function, resolve_backend
from sigbench.signature.backends.torch_backend import path_signatures
from sigbench.sweeps.grids import BUILTIN_GRIDS
from sigbench.training import loop
from sigbench.training.image_inputs import ImageInputs

DEMO = Path(__file__).parents[1] / "configs" / "demo.yaml"
# The check fails when the GPU's demo accuracy differs from the CPU's by more than this
# (points: float32 reductions in another order change a few test images), or a GPU
# signature's relative error against lanes exceeds float32 rounding at depth 4.
DEMO_TOLERANCE_POINTS = 3.0
SIGNATURE_TOLERANCE = 1e-4
failures: list[str] = []


def check(name: str, ok: bool) -> str:
    """``ok`` as the table shows it; a failure is counted for the exit status."""
    if not ok:
        failures.append(name)
    return "ok" if ok else "MISMATCH"


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def attempt(name: str, work: Callable[[], list[object]], width: int) -> list[object]:
    """``work()``'s row, or the error's first line in place of its figures."""
    try:
        return work()
    except Exception as error:  # one broken part must not hide the others
        failures.append(name)
        traceback.print_exc()
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        return ["failed: " + first_line[:120]] + [""] * (width - 1)


def demo_on_both_devices(results: Path, epochs: int) -> str:
    rows, accuracies = [], {}
    for device in ("cuda", "cpu"):

        def run(device: str = device) -> list[object]:
            config = load_config(DEMO, [f"train.device={device}", f"train.epochs={epochs}"])
            start = time.perf_counter()
            # Each device its own results folder: the run id is the same on both.
            result = train_run(config, results / device)
            seconds = time.perf_counter() - start
            accuracies[device] = 100 * result.metrics["accuracy"]
            return [f"{accuracies[device]:.2f}", f"{seconds:.1f}"]

        rows.append([device, *attempt(f"demo on {device}", run, 2)])
    if len(accuracies) == 2:
        gap = abs(accuracies["cuda"] - accuracies["cpu"])
        verdict = check("demo accuracy", gap <= DEMO_TOLERANCE_POINTS)
        rows.append([f"gap {gap:.2f} points (at most {DEMO_TOLERANCE_POINTS})", verdict, ""])
    return table(["device", "test accuracy %", "seconds"], rows)


def models_grid_on_the_gpu(results: Path) -> str:
    rows = []
    for kind in BUILTIN_GRIDS["models"].axes["model.kind"]:

        def run(kind: str = kind) -> list[object]:
            config = load_config(
                DEMO,
                [
                    f"model.kind={kind}",
                    "data.image_size=32",
                    "train.epochs=1",
                    "train.device=cuda",
                ],
            )
            start = time.perf_counter()
            result = train_run(config, results / "models")
            return [f"{100 * result.metrics['accuracy']:.1f}", f"{time.perf_counter() - start:.1f}"]

        rows.append([kind, *attempt(f"model {kind}", run, 2)])
    return table(["model.kind", "test accuracy % (1 epoch)", "seconds"], rows)


def best_rate(work: Callable[[], object], items: int, repeats: int = 5) -> float:
    """Items per second of the fastest of ``repeats`` calls (after one warm-up), the GPU
    synchronized around each call."""
    work()
    best = float("inf")
    for _ in range(repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        work()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return items / best


def gpu_signature_backends() -> dict[str, Callable | str]:
    """The GPU signature functions to compare, each (B, L, D) cuda tensor -> (B, length)
    without the leading 1, or why a package cannot run on CUDA here."""
    functions: dict[str, Callable | str] = {"torch": path_signatures}
    try:
        import signatory

        functions["signatory"] = signatory.signature
    except Exception as error:  # built against another torch: OSError, not ImportError
        functions["signatory"] = f"not loaded ({type(error).__name__})"
    import pysiglib

    if pysiglib.BUILT_WITH_CUDA:
        functions["pysiglib"] = pysiglib.signature
    else:
        functions["pysiglib"] = "this pysiglib build has no CUDA"
    return functions


def signatures_on_the_gpu(n_images: int) -> str:
    depth, size = 4, 64
    rng = np.random.default_rng(0)
    # Row paths of 64x64 RGB images with pixel values in [0, 1], as featurize makes them.
    paths = np.ascontiguousarray(rng.random((n_images * size, size, 3), dtype=np.float32))
    lanes = backend_function("lanes", depth)
    reference = lanes(paths, depth, False)
    start = time.perf_counter()
    lanes(paths, depth, False)
    rows = [["lanes (CPU)", f"{n_images / (time.perf_counter() - start):,.0f}", "reference"]]
    on_gpu = torch.from_numpy(paths).cuda()
    for name, function in gpu_signature_backends().items():
        if isinstance(function, str):
            rows.append([f"{name} (GPU)", function, ""])
            continue

        def run(function: Callable = function, name: str = name) -> list[object]:
            result = function(on_gpu, depth).float().cpu().numpy()
            scale = np.abs(reference).max(axis=0) + 1e-30
            error = float((np.abs(result - reference) / scale).max())
            rate = best_rate(lambda: function(on_gpu, depth), n_images)
            verdict = check(f"signatures {name}", error <= SIGNATURE_TOLERANCE)
            return [f"{rate:,.0f}", f"{error:.1e} {verdict}"]

        rows.append([f"{name} (GPU)", *attempt(f"signatures {name}", run, 2)])
    return table(["backend", "images/s", "max relative error vs lanes"], rows)


def featurize_on_both(n_images: int) -> str:
    """``featurize`` end to end (uint8 images to the feature array) with backend auto on
    the CPU and on the GPU, and the GPU features' worst error against the CPU's."""
    images = np.random.default_rng(1).integers(0, 256, (n_images, 64, 64, 3), dtype=np.uint8)
    spec = SignatureSpec(depth=4, two_direction=True)
    reference = featurize(images, spec).array
    rows = []
    for device in ("cpu", "cuda:0"):

        def run(device: str = device) -> list[object]:
            featurize(images[:64], spec, device=device)  # warm-up: kernels, CUDA context
            start = time.perf_counter()
            features = featurize(images, spec, device=device).array
            rate = n_images / (time.perf_counter() - start)
            scale = np.abs(reference).max(axis=0) + 1e-30
            error = float((np.abs(features - reference) / scale).max())
            verdict = check(f"featurize on {device}", error <= SIGNATURE_TOLERANCE)
            return [resolve_backend("auto", 4, device), f"{rate:,.0f}", f"{error:.1e} {verdict}"]

        rows.append([device, *attempt(f"featurize on {device}", run, 3)])
    return table(["device", "backend auto", "images/s", "max relative error vs CPU"], rows)


def training_throughput(n_images: int) -> str:
    """resnet18 images/s over two epochs; the CPU row on an eighth of the images, so that
    it takes about as long as the GPU rows."""
    rng = np.random.default_rng(0)
    rows = []
    for device, precision in (
        ("cpu", "32"),
        ("cuda", "32"),
        ("cuda", "bf16"),
        ("cuda", "16-mixed"),
    ):
        images = n_images if device == "cuda" else n_images // 8

        def run(
            device: str = device, precision: str = precision, images: int = images
        ) -> list[object]:
            pixels = rng.integers(0, 256, (images, 64, 64, 3), dtype=np.uint8)
            labels = rng.integers(0, 10, images)
            model = create_model(
                "resnet18", input_shape=(3, 64, 64), num_classes=10, config=model_config("resnet18")
            )
            config = TrainConfig(epochs=2, batch_size=128, device=device, precision=precision)
            start = time.perf_counter()
            loop.fit(model, ImageInputs(pixels), labels, None, None, config)
            return [images, f"{2 * images / (time.perf_counter() - start):,.0f}"]

        rows.append([device, precision, *attempt(f"resnet18 {device} {precision}", run, 2)])
    return table(["device", "precision", "images", "training images/s (resnet18, 64x64 RGB)"], rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("results/gpu_check.md"))
    parser.add_argument("--quick", action="store_true", help="fewer epochs and images")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("gpu_check: torch sees no CUDA device; run this on a machine with an NVIDIA GPU")
        return 2
    name = torch.cuda.get_device_name(0)
    memory = torch.cuda.get_device_properties(0).total_memory / 2**30
    header = (
        f"# sigbench GPU check\n\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{name} ({memory:.0f} GiB), torch {torch.__version__}, CUDA {torch.version.cuda}\n"
    )
    with tempfile.TemporaryDirectory(prefix="sigbench-gpu-check-") as scratch:
        results = Path(scratch)
        sections = [
            (
                "Demo spec on the GPU and the CPU",
                demo_on_both_devices(results, 20 if args.quick else 150),
            ),
            (
                "Every model in the models grid, one epoch on the GPU",
                models_grid_on_the_gpu(results),
            ),
            (
                "Signatures on the GPU (64x64 RGB rows, depth 4, float32)",
                signatures_on_the_gpu(200 if args.quick else 2000),
            ),
            (
                "featurize on the CPU and the GPU (64x64 RGB, rows and columns, depth 4)",
                featurize_on_both(500 if args.quick else 5000),
            ),
            ("Training throughput", training_throughput(512 if args.quick else 2048)),
        ]
    report = header + "".join(f"\n## {title}\n\n{body}\n" for title, body in sections)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print(report)
    if failures:
        print(f"gpu_check: {len(failures)} part(s) failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
