"""Image files to uint8 pixel arrays: one decode path shared by training and ``predict``.

Every file goes through :func:`decode_image`, so an image is converted and resized the same
way whether it is a training image or one handed to ``sigbench predict``:

- Grayscale, palette, CMYK and YCbCr images are converted with PIL's own conversions.
- Images with an alpha channel are composited on black: transparent pixels become black,
  the same fill that ``rotate45`` leaves in the corners. (Dropping the alpha channel instead
  would expose whatever colour the encoder left under transparent pixels.)
- 16-bit and 32-bit integer images are scaled to 8 bits (divided by 257, so 65535 -> 255);
  32-bit float images are read on the 0..255 scale and clipped, as PIL does.
- A grayscale model (``channels=1``, e.g. at predict time) gets colour files through PIL's
  ITU-R 601-2 luma conversion; an RGB model gets grayscale files as three equal channels.
- EXIF orientation is applied, as OpenCV's ``imread`` (the reference code's reader) does.
- Resizing squashes to the target height x width (no cropping). Downsizing uses area interpolation
  (``Image.BOX``, the same averaging as OpenCV's ``INTER_AREA``); an image smaller than the
  target on either side is resized with bilinear interpolation instead, and counted.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from sigbench.config import image_hw
from sigbench.data.fetcher import Decoded, Fetched, Write
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress

DECODE_RULES = 1  # bump when a rule above changes the pixels: it keys the pixel cache
DECODE_BATCH = 64  # files per task: cheap to hand over, small enough to keep memory flat
_HIGH_BIT_DEPTH_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N"}
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}


class UnreadableImage(Exception):
    """A file that is not a decodable image; carries the reason for the warning or error."""


def _to_l_or_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode to 8-bit ``L`` or ``RGB`` (see the module docstring for the rules)."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in _HIGH_BIT_DEPTH_MODES:
        values = np.asarray(image.convert("I"), dtype=np.float64) / 257.0
        return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), "L")
    if image.mode == "F":
        values = np.clip(np.rint(np.asarray(image, dtype=np.float64)), 0, 255)
        return Image.fromarray(values.astype(np.uint8), "L")
    if image.mode == "1":
        return image.convert("L")
    if image.mode in _ALPHA_MODES or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(black, rgba).convert("RGB")
    return image.convert("RGB")


Size = int | tuple[int, int]  # a square side, or (height, width) as DataConfig.height_width


def _resize(image: Image.Image, size: Size) -> tuple[Image.Image, bool]:
    """Resize to ``size`` (height, width); also say whether either side had to grow."""
    height, width = image_hw(size)
    if image.size == (width, height):
        return image, False
    upsampled = image.width < width or image.height < height
    method = Image.Resampling.BILINEAR if upsampled else Image.Resampling.BOX
    return image.resize((width, height), method), upsampled


def resize_pixels(pixels: np.ndarray, size: Size) -> tuple[np.ndarray, bool]:
    """Resize one uint8 (H, W, C) array the way files are resized (for built-in arrays)."""
    if pixels.shape[:2] == image_hw(size):
        return pixels, False
    channels = pixels.shape[-1]
    image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels)
    resized, upsampled = _resize(image, size)
    return np.asarray(resized).reshape(*image_hw(size), channels), upsampled


def _workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def decode_image(
    path: Path, size: Size, channels: int, *, draft: bool = False
) -> tuple[np.ndarray, bool]:
    """One file as uint8 (height, width, channels), and whether it was upsampled.

    ``draft`` lets libjpeg decode a JPEG at 1/2, 1/4 or 1/8 scale (the smallest that keeps
    both sides at least the target) before the same area resize: faster, not identical
    (docs/pixel-cache.md has the measured differences). Other formats ignore it.
    Raises :class:`UnreadableImage` for anything that is not a decodable image.
    """
    try:
        with Image.open(path) as opened:
            if draft and opened.format == "JPEG":
                height, width = image_hw(size)
                opened.draft(opened.mode, (width, height))
            opened.load()
            image = _to_l_or_rgb(ImageOps.exif_transpose(opened))
    except Exception as exc:  # PIL raises many types on corrupt bytes; all mean "unreadable"
        raise UnreadableImage(f"{type(exc).__name__}: {exc}") from None
    image = image.convert("L" if channels == 1 else "RGB")
    resized, upsampled = _resize(image, size)
    return np.asarray(resized).reshape(*image_hw(size), channels), upsampled


def _decode_batch(
    paths: Sequence[Path], size: Size, channels: int, draft: bool
) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Pixels (zeros where unreadable), upsampled flags and the reason each file failed."""
    pixels = np.zeros((len(paths), *image_hw(size), channels), dtype=np.uint8)
    upsampled = np.zeros(len(paths), dtype=bool)
    reasons: list[str | None] = []
    for i, path in enumerate(paths):
        try:
            pixels[i], upsampled[i] = decode_image(path, size, channels, draft=draft)
            reasons.append(None)
        except UnreadableImage as exc:
            reasons.append(str(exc))
    return pixels, upsampled, reasons


def decode_stream(
    paths: Sequence[Path],
    size: Size,
    channels: int,
    write: Write,
    *,
    strict: bool,
    strict_hint: str = "",
    draft: bool = False,
    description: str = "decoding images",
    progress: Progress = SILENT,
) -> Decoded:
    """Decode files batch by batch on a thread pool, handing each batch to ``write`` in order.

    At most two batches per worker are in flight, so memory stays bounded whatever the
    number of files. Unreadable files are left as zeros and named in ``skipped``; with
    ``strict`` the first one in list order raises :class:`SigbenchError` instead
    (``strict_hint`` is appended to it).
    """
    decoded = Decoded(np.zeros(len(paths), dtype=bool))
    workers = _workers()
    with (
        progress.task(description, total=len(paths)) as task,
        ThreadPoolExecutor(max_workers=workers) as executor,
    ):
        pending: deque[tuple[int, Future]] = deque()

        def write_oldest() -> None:
            start, future = pending.popleft()
            pixels, upsampled, reasons = future.result()
            for i, reason in enumerate(reasons):
                if reason is not None:
                    path = paths[start + i]
                    if strict:
                        raise SigbenchError(f"{path}: not a readable image ({reason}){strict_hint}")
                    decoded.skipped.append(str(path))
            decoded.kept[start : start + len(reasons)] = [r is None for r in reasons]
            decoded.upsampled += int(upsampled.sum())
            write(start, pixels)
            task.advance(len(reasons))

        try:
            for start in range(0, len(paths), DECODE_BATCH):
                batch = paths[start : start + DECODE_BATCH]
                pending.append(
                    (start, executor.submit(_decode_batch, batch, size, channels, draft))
                )
                if len(pending) > 2 * workers:
                    write_oldest()
            while pending:
                write_oldest()
        finally:
            for _, future in pending:
                future.cancel()
    return decoded


def decode_files(
    paths: Sequence[Path],
    size: Size,
    channels: int,
    *,
    strict: bool,
    strict_hint: str = "",
    description: str = "decoding images",
    progress: Progress = SILENT,
) -> Fetched:
    """Decode files into one in-memory array (see :func:`decode_stream`)."""
    images = np.zeros((len(paths), *image_hw(size), channels), dtype=np.uint8)

    def keep(start: int, pixels: np.ndarray) -> None:
        images[start : start + len(pixels)] = pixels

    decoded = decode_stream(
        paths,
        size,
        channels,
        keep,
        strict=strict,
        strict_hint=strict_hint,
        description=description,
        progress=progress,
    )
    return Fetched.of(images, decoded)


def read_images(paths: Sequence[Path], image_size: Size, channels: int) -> np.ndarray:
    """Decode files for prediction exactly as training decoded them; any bad file is an error."""
    files = [Path(p) for p in paths]
    fetched = decode_files(files, image_size, channels, strict=True, description="reading images")
    return fetched.images
