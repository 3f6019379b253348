"""End-to-end pipeline benchmark at scale: decode, featurize, train and peak memory.

    .venv/bin/python scripts/bench_pipeline.py [--root /tmp/sigbench-bench] [--label after]
        [--code .] [--stages fire-train,fire-grid,big-train] [--grid-epochs 2]

Two workloads are generated once, deterministically, under ``--root`` (and reused):

- ``fire``: a fire-sized ImageFolder, 18,700 JPEGs of 500x375 cut from scikit-image's real
  photos, two classes split like the paper's fire set (train 4,000 / 11,000, test 960 / 2,740);
- ``big``: 100,000 numbered 64x64 JPEGs with a label file (the HTER task's size).

Each stage runs ``sigbench`` in a fresh results folder, in a child process under
``/usr/bin/time -v`` (peak RSS, wall time), with the code under test taken from ``--code``
(so the same script measures an older checkout: ``--code /path/to/old/tree``):

- ``fire-train``: one ``sigbench train`` of ``configs/fire_d4.yaml`` on the fire folder;
- ``fire-grid``: ``sigbench ablate --grid depth`` (10 points) on the fire folder, without
  offline augmentation and at ``--grid-epochs`` (default 1) epochs, to keep it affordable;
- ``big-train``: one ``sigbench train`` on the 100,000 images, 20 epochs.

Decode seconds are the time spent in ``Catalog.fetch`` (the one place pixels are read),
measured by wrapping it in the child: the same probe for every checkout. Featurize and
train seconds are summed from the runs' ``metrics.json``; "other" is the wall time left.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
WORKLOAD_VERSION = 1
FIRE_COUNTS = {
    "training_set": {"fire": 4_000, "nofire": 11_000},
    "test_set": {"fire": 960, "nofire": 2_740},
}
FIRE_SIZE = (500, 375)
BIG_COUNT, BIG_SIZE, BIG_POSITIVE = 100_000, 64, 0.3
# Warm, flame-coloured photos stand for "fire"; the rest (cool colour, grayscale) for "no fire".
FIRE_PHOTOS = ("rocket", "coffee", "chelsea", "astronaut", "colorwheel")
NOFIRE_PHOTOS = ("hubble_deep_field", "retina", "immunohistochemistry", "camera", "brick",
                 "grass", "gravel", "coins", "moon", "text")  # fmt: skip
STAGES = ("fire-train", "fire-grid", "big-train")
TRAIN_EPOCHS = {"fire-train": 30, "big-train": 20}


# --- the workloads ------------------------------------------------------------------------


def _photos(names: tuple[str, ...]) -> list[np.ndarray]:
    from skimage import data

    photos = []
    for name in names:
        image = np.asarray(getattr(data, name)())
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)
        photos.append(np.ascontiguousarray(image[..., :3]).astype(np.uint8))
    return photos


def _cut(photo: np.ndarray, size: tuple[int, int], rng: np.random.Generator):
    """A random crop (a quarter to all of each side), maybe mirrored, resized to ``size``."""
    from PIL import Image

    height, width = photo.shape[:2]
    crop_h = int(rng.integers(height // 4, height + 1))
    crop_w = int(rng.integers(width // 4, width + 1))
    top = int(rng.integers(0, height - crop_h + 1))
    left = int(rng.integers(0, width - crop_w + 1))
    crop = photo[top : top + crop_h, left : left + crop_w]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return Image.fromarray(np.ascontiguousarray(crop)).resize(size, Image.Resampling.BILINEAR)


def _done(folder: Path, spec: dict) -> bool:
    marker = folder / ".complete.json"
    return marker.is_file() and json.loads(marker.read_text()) == spec


def _mark(folder: Path, spec: dict) -> None:
    (folder / ".complete.json").write_text(json.dumps(spec))


def make_fire(root: Path) -> Path:
    """The fire-sized ImageFolder (train and test), generated once."""
    folder = root / "fire"
    spec = {"version": WORKLOAD_VERSION, "counts": FIRE_COUNTS, "size": list(FIRE_SIZE)}
    if _done(folder, spec):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    photos = {"fire": _photos(FIRE_PHOTOS), "nofire": _photos(NOFIRE_PHOTOS)}
    rng = np.random.default_rng(19)
    for split, counts in FIRE_COUNTS.items():
        for label, count in counts.items():
            out = folder / split / label
            out.mkdir(parents=True)
            for i in range(count):
                photo = photos[label][int(rng.integers(len(photos[label])))]
                _cut(photo, FIRE_SIZE, rng).save(out / f"{label}_{i:05d}.jpg", quality=90)
    _mark(folder, spec)
    return folder


def make_big(root: Path) -> Path:
    """100,000 numbered 64x64 JPEGs and ``labels.txt``, generated once."""
    folder = root / "big"
    spec = {"version": WORKLOAD_VERSION, "count": BIG_COUNT, "size": BIG_SIZE}
    if _done(folder, spec):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    images = folder / "images"
    images.mkdir(parents=True)
    photos = [_photos(NOFIRE_PHOTOS), _photos(FIRE_PHOTOS)]
    rng = np.random.default_rng(100)
    labels = (rng.random(BIG_COUNT) < BIG_POSITIVE).astype(int)
    for i, label in enumerate(labels, start=1):
        photo = photos[label][int(rng.integers(len(photos[label])))]
        _cut(photo, (BIG_SIZE, BIG_SIZE), rng).save(images / f"{i}.jpg", quality=90)
    (folder / "labels.txt").write_text("".join(f"{label}\n" for label in labels))
    _mark(folder, spec)
    return folder


# --- the stages ---------------------------------------------------------------------------


def stage_command(stage: str, root: Path, grid_epochs: int) -> list[str]:
    fire = root / "fire"
    big = root / "big"
    fire_sets = [
        "--set", f"data.train={fire / 'training_set'}",
        "--set", f"data.test={fire / 'test_set'}",
    ]  # fmt: skip
    config = str(REPO / "configs" / "fire_d4.yaml")
    if stage == "fire-train":
        epochs = ["--set", f"train.epochs={TRAIN_EPOCHS[stage]}"]
        return ["train", config, *fire_sets, *epochs]
    if stage == "fire-grid":
        # Kept small so the ten points fit a shared 2-core machine: no offline augmentation,
        # ``--grid-epochs`` epochs. Decoding, the part the grid repeats, is unchanged.
        small = ["--set", "data.augment=[]", "--set", f"train.epochs={grid_epochs}"]
        return ["ablate", "--grid", "depth", "--config", config, *fire_sets, *small]
    big_sets = [
        "--set", "data.source=labelfile",
        "--set", f"data.train={big / 'images'}",
        "--set", f"data.labels={big / 'labels.txt'}",
        "--set", "data.test=null", "--set", "data.augment=[]",
        "--set", f"train.epochs={TRAIN_EPOCHS[stage]}",
    ]  # fmt: skip
    return ["train", config, *big_sets]


def _time_field(text: str, name: str) -> str:
    match = re.search(rf"{re.escape(name)}: (.+)", text)
    return match.group(1).strip() if match else ""


def _wall_seconds(text: str) -> float:
    parts = [
        float(p)
        for p in _time_field(text, "Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
    ]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def run_stage(stage: str, root: Path, label: str, code: Path, grid_epochs: int) -> dict:
    results = root / f"results-{label}" / stage
    shutil.rmtree(results, ignore_errors=True)
    results.mkdir(parents=True)
    probe, timing = results / "decode-probe.json", results / "time-v.txt"
    command = [
        "/usr/bin/time", "-v", "-o", str(timing),
        sys.executable, str(Path(__file__).resolve()), "--child", str(probe), "--",
        *stage_command(stage, root, grid_epochs), "--results", str(results),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(code.resolve())}
    log = results / "output.log"
    with log.open("w") as out:
        code_ = subprocess.call(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=code)
    if code_ != 0:
        raise SystemExit(f"{stage} failed (exit {code_}); see {log}")
    return collect(stage, results, "sigbench " + " ".join(command[command.index("--") + 1 :]))


def collect(stage: str, results: Path, command: str = "") -> dict:
    """One stage's row from what its child left in ``results``."""
    text = (results / "time-v.txt").read_text()
    runs = sorted((results / "runs").glob("*/metrics.json"))
    metrics = [json.loads(p.read_text()) for p in runs]
    wall = _wall_seconds(text)
    decode = json.loads((results / "decode-probe.json").read_text())["seconds"]
    featurize = sum(m.get("featurize_seconds", 0.0) for m in metrics)
    train = sum(m.get("train_seconds", 0.0) for m in metrics)
    return {
        "stage": stage,
        "runs": len(metrics),
        "wall_seconds": round(wall, 1),
        "decode_seconds": round(decode, 1),
        "featurize_seconds": round(featurize, 1),
        "train_seconds": round(train, 1),
        "other_seconds": round(wall - decode - featurize - train, 1),
        "peak_rss_mb": round(int(_time_field(text, "Maximum resident set size (kbytes)")) / 1024),
        "pixel_cache": [m.get("pixel_cache", "-") for m in metrics],
        "run_decode_seconds": [m.get("decode_seconds") for m in metrics],
        "accuracy": [m.get("accuracy") for m in metrics],
        "command": command,
    }


# --- the child: sigbench with the decode probe --------------------------------------------


def child(probe: Path, argv: list[str]) -> None:
    """Run the sigbench CLI with ``Catalog.fetch`` timed; the total goes to ``probe``."""
    from sigbench.data.catalog import Catalog

    total = [0.0]
    fetch = Catalog.fetch

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return fetch(self, *args, **kwargs)
        finally:
            total[0] += time.perf_counter() - started

    Catalog.fetch = timed
    atexit.register(lambda: probe.write_text(json.dumps({"seconds": total[0]})))
    sys.argv = ["sigbench", *argv]
    from sigbench.cli import main

    main()


def draft_difference(root: Path, count: int, size: int = 64) -> dict:
    """Pixel differences between draft and full decoding on ``count`` fire-folder JPEGs."""
    from sigbench.data.decode import decode_image

    paths = sorted((root / "fire").rglob("*.jpg"))
    chosen = [paths[i] for i in np.linspace(0, len(paths) - 1, count).astype(int)]
    full = np.stack([decode_image(p, size, 3)[0] for p in chosen]).astype(np.int16)
    draft = np.stack([decode_image(p, size, 3, draft=True)[0] for p in chosen]).astype(np.int16)
    difference = np.abs(draft - full)
    return {
        "images": count,
        "image_size": size,
        "max": int(difference.max()),
        "mean": round(float(difference.mean()), 3),
        "p99": float(np.percentile(difference, 99)),
        "share_over_8": round(float((difference > 8).mean()), 5),
    }


def table(rows: list[dict]) -> str:
    head = "| stage | runs | wall s | decode s | featurize s | train s | other s | peak RSS MB |"
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            f"| {r['stage']} | {r['runs']} | {r['wall_seconds']} | {r['decode_seconds']} | "
            f"{r['featurize_seconds']} | {r['train_seconds']} | {r['other_seconds']} | "
            f"{r['peak_rss_mb']} |"
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/sigbench-bench"))
    parser.add_argument("--label", default="after", help="names the results folder and JSON")
    parser.add_argument("--code", type=Path, default=REPO, help="the checkout to measure")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--grid-epochs", type=int, default=1)
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument(
        "--collect", action="store_true", help="only re-read the stages' finished results"
    )
    parser.add_argument(
        "--draft-check", type=int, metavar="N", help="only compare draft and full decoding of N"
    )
    args = parser.parse_args()
    args.root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    make_fire(args.root)
    make_big(args.root)
    print(f"workloads ready under {args.root} ({time.perf_counter() - started:.0f} s)", flush=True)
    if args.draft_check:
        print(json.dumps(draft_difference(args.root, args.draft_check)))
        return
    if args.generate_only:
        return
    rows = []
    for stage in args.stages.split(","):
        if args.collect:
            rows.append(collect(stage, args.root / f"results-{args.label}" / stage))
        else:
            rows.append(run_stage(stage, args.root, args.label, args.code, args.grid_epochs))
        print(json.dumps(rows[-1]), flush=True)
    out = args.root / f"pipeline-{args.label}.json"
    out.write_text(
        json.dumps({"label": args.label, "code": str(args.code), "stages": rows}, indent=1)
    )
    print(table(rows))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
