"""Property tests: whatever bytes a file holds, decoding yields an image, a skip or a
SigbenchError, never a crash; odd modes and sizes always come out uint8 at the right shape."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from sigbench.data.decode import UnreadableImage, decode_files, decode_image
from sigbench.errors import SigbenchError

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
MAGIC = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"BM", b"II*\x00", b"P5\n"]
# Each mode with a format that stores it.
MODES = {
    "1": "png", "L": "png", "P": "png", "LA": "png", "RGB": "jpeg", "RGBA": "png",
    "I;16": "png", "I": "tiff", "F": "tiff", "CMYK": "jpeg", "YCbCr": "tiff",
}  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("props")


def _valid_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 5), (10, 200, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _check(path: Path, size: int, channels: int) -> None:
    try:
        pixels, _ = decode_image(path, size, channels)
    except UnreadableImage:
        return
    assert pixels.shape == (size, size, channels) and pixels.dtype == np.uint8


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")  # PIL's, on random bytes
@SETTINGS
@given(prefix=st.sampled_from(MAGIC), body=st.binary(max_size=300))
def test_random_bytes_never_crash_the_decoder(folder, prefix, body):
    path = folder / "random.img"
    path.write_bytes(prefix + body)
    _check(path, 8, 3)
    fetched = decode_files([path], 8, 3, strict=False)
    assert fetched.kept.sum() + len(fetched.skipped) == 1
    try:
        decode_files([path], 8, 1, strict=True)
    except SigbenchError as exc:
        assert str(path) in str(exc)


@SETTINGS
@given(
    cuts=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=8),
    truncate=st.integers(8, 400),
)
def test_corrupted_real_images_never_crash_the_decoder(folder, cuts, truncate):
    data = bytearray(_valid_png())
    for position, value in cuts:
        data[position % len(data)] = value
    path = folder / "corrupt.png"
    path.write_bytes(bytes(data[:truncate]))
    _check(path, 5, 3)


@SETTINGS
@given(
    mode=st.sampled_from(sorted(MODES)),
    width=st.integers(1, 24),
    height=st.integers(1, 24),
    size=st.integers(2, 16),
    channels=st.sampled_from([1, 3]),
    seed=st.integers(0, 2**16),
)
def test_small_images_of_any_mode_decode_to_the_right_shape(
    folder, mode, width, height, size, channels, seed
):
    noise = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(noise, "RGB").convert(mode)
    path = folder / f"odd.{MODES[mode]}"
    image.save(path)
    pixels, upsampled = decode_image(path, size, channels)
    assert pixels.shape == (size, size, channels) and pixels.dtype == np.uint8
    assert upsampled == (width < size or height < size)
