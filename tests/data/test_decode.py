"""One decode path for training and predict: modes, bit depths, alpha, resizing, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sigbench.data import read_images
from sigbench.data.decode import UnreadableImage, decode_files, decode_image
from sigbench.errors import SigbenchError


def _save(path: Path, image: Image.Image) -> Path:
    image.save(path)
    return path


def test_rgb_png_round_trips_at_native_size(tmp_path, write_image):
    path = write_image(tmp_path / "a.png", size=(8, 8), value=77)
    pixels, upsampled = decode_image(path, 8, 3)
    assert pixels.dtype == np.uint8 and pixels.shape == (8, 8, 3)
    assert not upsampled
    np.testing.assert_array_equal(pixels, np.asarray(Image.open(path)))


def test_downsizing_averages_areas(tmp_path):
    # 4x4 blocks of constant colour shrink to exactly those colours (area interpolation).
    blocks = np.kron(np.arange(4, dtype=np.uint8).reshape(2, 2) * 60, np.ones((4, 4), np.uint8))
    path = _save(tmp_path / "b.png", Image.fromarray(blocks, "L"))
    pixels, upsampled = decode_image(path, 2, 1)
    np.testing.assert_array_equal(pixels[..., 0], [[0, 60], [120, 180]])
    assert not upsampled


def test_non_square_images_are_squashed_and_small_ones_flagged(tmp_path, write_image):
    pixels, upsampled = decode_image(write_image(tmp_path / "wide.png", size=(40, 4)), 8, 3)
    assert pixels.shape == (8, 8, 3) and upsampled


def test_height_width_pairs_resize_to_that_shape(tmp_path, write_image):
    path = write_image(tmp_path / "tall.png", size=(30, 40))  # PIL sizes are (width, height)
    pixels, upsampled = decode_image(path, (20, 10), 3)
    assert pixels.shape == (20, 10, 3) and not upsampled
    assert decode_files([path], (20, 10), 1, strict=True).images.shape == (1, 20, 10, 1)
    _, upsampled = decode_image(path, (50, 10), 3)  # taller than the file: grows
    assert upsampled


def test_grayscale_becomes_three_equal_channels(tmp_path):
    gray = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 3, "L")
    pixels, _ = decode_image(_save(tmp_path / "g.png", gray), 8, 3)
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    np.testing.assert_array_equal(pixels[..., 0], np.asarray(gray))


def test_rgba_is_composited_on_black(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = (200, 100, 50)
    rgba[0, :, 3] = 0  # transparent row
    rgba[1, :, 3] = 255  # opaque row
    rgba[2:, :, 3] = 128  # half transparent
    pixels, _ = decode_image(_save(tmp_path / "a.png", Image.fromarray(rgba, "RGBA")), 4, 3)
    np.testing.assert_array_equal(pixels[0], 0)
    np.testing.assert_array_equal(pixels[1], [[200, 100, 50]] * 4)
    np.testing.assert_allclose(pixels[2], [[100, 50, 25]] * 4, atol=1)


def test_palette_with_transparency_is_composited(tmp_path):
    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.info["transparency"] = 1
    path = tmp_path / "p.png"
    palette.save(path, transparency=1)
    pixels, _ = decode_image(path, 4, 3)
    np.testing.assert_array_equal(pixels, 0)


def test_palette_without_transparency_keeps_colours(tmp_path):
    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    pixels, _ = decode_image(_save(tmp_path / "p.png", palette), 4, 3)
    np.testing.assert_array_equal(pixels, np.broadcast_to([10, 20, 30], (4, 4, 3)))


def test_sixteen_bit_grayscale_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 257 * 100], [257 * 200, 65535]], dtype=np.uint16)
    path = _save(tmp_path / "deep.png", Image.fromarray(values))
    assert Image.open(path).mode.startswith("I")
    pixels, _ = decode_image(path, 2, 1)
    np.testing.assert_array_equal(pixels[..., 0], [[0, 100], [200, 255]])


def test_float_tiff_is_read_on_the_byte_scale(tmp_path):
    values = np.array([[-5.0, 12.4], [254.6, 900.0]], dtype=np.float32)
    pixels, _ = decode_image(_save(tmp_path / "f.tif", Image.fromarray(values, "F")), 2, 1)
    np.testing.assert_array_equal(pixels[..., 0], [[0, 12], [255, 255]])


@pytest.mark.parametrize("mode", ["1", "LA", "CMYK", "YCbCr", "I", "RGBX"])
def test_other_modes_give_uint8_rgb(tmp_path, mode):
    image = Image.new(mode, (5, 7))
    suffix = ".tif" if mode in ("CMYK", "I", "RGBX", "YCbCr") else ".png"
    pixels, upsampled = decode_image(_save(tmp_path / f"m{suffix}", image.convert(mode)), 6, 3)
    assert pixels.shape == (6, 6, 3) and pixels.dtype == np.uint8 and upsampled


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((2, 4, 3), np.uint8)
    pixels[0, 0] = 255  # top-left marker in a 4 wide, 2 high image
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "o.png"
    image.save(path, exif=exif)
    decoded, _ = decode_image(path, 4, 3)
    upright = Image.fromarray(pixels).rotate(-90, expand=True)
    upright = np.asarray(upright.resize((4, 4), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(decoded, upright)


def test_truncated_and_non_image_files_are_unreadable(tmp_path, write_image):
    good = write_image(tmp_path / "good.jpg", size=(32, 32))
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(good.read_bytes()[:200])
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    for path in (truncated, text, tmp_path / "missing.png"):
        with pytest.raises(UnreadableImage):
            decode_image(path, 8, 3)


def test_decode_files_keeps_order_and_names_skips(tmp_path, write_image):
    paths = [write_image(tmp_path / f"{i}.png", value=i) for i in range(5)]
    bad = tmp_path / "2.png"
    bad.write_bytes(b"garbage")
    fetched = decode_files(paths, 6, 3, strict=False)
    assert fetched.kept.tolist() == [True, True, False, True, True]
    assert fetched.skipped == [str(bad)]
    assert fetched.upsampled == 0
    with pytest.raises(SigbenchError, match=r"2\.png: not a readable image"):
        decode_files(paths, 6, 3, strict=True)


def test_read_images_matches_training_decode_and_refuses_bad_files(tmp_path, write_image):
    paths = [write_image(tmp_path / f"{i}.png", size=(20, 14), value=i) for i in range(3)]
    batch = read_images(paths, 8, 1)
    assert batch.shape == (3, 8, 8, 1)
    np.testing.assert_array_equal(batch[1], decode_image(paths[1], 8, 1)[0])
    (tmp_path / "bad.png").write_bytes(b"\x89PNG nope")
    with pytest.raises(SigbenchError, match="bad.png"):
        read_images([*paths, tmp_path / "bad.png"], 8, 3)
