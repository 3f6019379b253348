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
- Resizing squashes to a square (no cropping). Downsizing uses area interpolation
  (``Image.BOX``, the same averaging as OpenCV's ``INTER_AREA``); an image smaller than the
  target on either side is resized with bilinear interpolation instead, and counted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from sigbench.data.catalog import Fetched
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress

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


def _resize(image: Image.Image, size: int) -> tuple[Image.Image, bool]:
    """Resize to ``size`` x ``size``; also say whether either side had to grow."""
    width, height = image.size
    if (width, height) == (size, size):
        return image, False
    upsampled = width < size or height < size
    method = Image.Resampling.BILINEAR if upsampled else Image.Resampling.BOX
    return image.resize((size, size), method), upsampled


def resize_pixels(pixels: np.ndarray, size: int) -> tuple[np.ndarray, bool]:
    """Resize one uint8 (H, W, C) array the way files are resized (for built-in arrays)."""
    if pixels.shape[:2] == (size, size):
        return pixels, False
    channels = pixels.shape[-1]
    image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels)
    resized, upsampled = _resize(image, size)
    return np.asarray(resized).reshape(size, size, channels), upsampled


def decode_image(path: Path, size: int, channels: int) -> tuple[np.ndarray, bool]:
    """One file as uint8 (size, size, channels), and whether it was upsampled.

    Raises :class:`UnreadableImage` for anything that is not a decodable image.
    """
    try:
        with Image.open(path) as opened:
            opened.load()
            image = _to_l_or_rgb(ImageOps.exif_transpose(opened))
    except Exception as exc:  # PIL raises many types on corrupt bytes; all mean "unreadable"
        raise UnreadableImage(f"{type(exc).__name__}: {exc}") from None
    image = image.convert("L" if channels == 1 else "RGB")
    resized, upsampled = _resize(image, size)
    return np.asarray(resized).reshape(size, size, channels), upsampled


def _workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _try_decode(path: Path, size: int, channels: int) -> tuple[np.ndarray | None, bool, str | None]:
    try:
        pixels, upsampled = decode_image(path, size, channels)
    except UnreadableImage as exc:
        return None, False, str(exc)
    return pixels, upsampled, None


def decode_files(
    paths: Sequence[Path],
    size: int,
    channels: int,
    *,
    strict: bool,
    strict_hint: str = "",
    description: str = "decoding images",
    progress: Progress = SILENT,
) -> Fetched:
    """Decode files on a thread pool (PIL releases the GIL while decoding).

    Unreadable files are left out and named in ``skipped``; with ``strict`` the first one in
    list order raises :class:`SigbenchError` instead (``strict_hint`` is appended to it).
    """
    images = np.zeros((len(paths), size, size, channels), dtype=np.uint8)
    kept = np.zeros(len(paths), dtype=bool)
    result = Fetched(images, kept)
    executor = ThreadPoolExecutor(max_workers=_workers())
    try:
        with progress.task(description, total=len(paths)) as task:
            outcomes = executor.map(lambda p: _try_decode(p, size, channels), paths)
            for i, (path, (pixels, upsampled, reason)) in enumerate(
                zip(paths, outcomes, strict=True)
            ):
                task.advance(1)
                if pixels is None:
                    if strict:
                        raise SigbenchError(f"{path}: not a readable image ({reason}){strict_hint}")
                    result.skipped.append(str(path))
                    continue
                images[i] = pixels
                kept[i] = True
                result.upsampled += upsampled
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return result


def read_images(paths: Sequence[Path], image_size: int, channels: int) -> np.ndarray:
    """Decode files for prediction exactly as training decoded them; any bad file is an error."""
    files = [Path(p) for p in paths]
    fetched = decode_files(files, image_size, channels, strict=True, description="reading images")
    return fetched.images
