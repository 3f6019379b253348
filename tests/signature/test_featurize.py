"""Dataset featurization: same numbers as image_signatures, and a cache that can't lie."""

from pathlib import Path

import numpy as np
import pytest

from sigbench.signature import SignatureSettings, featurize, image_signatures

IMAGES = np.random.default_rng(0).integers(0, 256, (20, 6, 6, 3), dtype=np.uint8)
SETTINGS = SignatureSettings(depth=3, two_direction=True, path="time")


def test_featurize_equals_image_signatures_without_cache() -> None:
    features = featurize(IMAGES, SETTINGS)
    assert features.cache == "off"
    expected = image_signatures(IMAGES, 3, two_direction=True, path="time")
    np.testing.assert_array_equal(features.array, expected)


def test_second_identical_call_hits_the_cache(tmp_path: Path) -> None:
    first = featurize(IMAGES, SETTINGS, cache_dir=tmp_path)
    second = featurize(IMAGES, SETTINGS, cache_dir=tmp_path)
    assert (first.cache, second.cache) == ("miss", "hit")
    np.testing.assert_array_equal(first.array, second.array)


@pytest.mark.parametrize(
    "changed",
    [
        SignatureSettings(depth=2, two_direction=True, path="time"),
        SignatureSettings(depth=3, two_direction=False, path="time"),
        SignatureSettings(depth=3, two_direction=True, path="lead_lag"),
        SignatureSettings(depth=3, two_direction=True, path="time", log_sig=True),
        SignatureSettings(depth=3, two_direction=True, path="time", backend="iisignature"),
    ],
)
def test_any_setting_change_misses(tmp_path: Path, changed: SignatureSettings) -> None:
    featurize(IMAGES, SETTINGS, cache_dir=tmp_path)
    assert featurize(IMAGES, changed, cache_dir=tmp_path).cache == "miss"


def test_other_pixels_miss(tmp_path: Path) -> None:
    featurize(IMAGES, SETTINGS, cache_dir=tmp_path)
    changed = IMAGES.copy()
    changed[3, 2, 1, 0] ^= 1
    assert featurize(changed, SETTINGS, cache_dir=tmp_path).cache == "miss"


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "drop_metadata"])
def test_damaged_cache_is_rebuilt_and_reported(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = featurize(IMAGES, SETTINGS, cache_dir=tmp_path).array.copy()
    (array_file,) = tmp_path.glob("*.npy")
    if damage == "truncate":
        array_file.write_bytes(array_file.read_bytes()[:-100])
    elif damage == "flip_byte":
        raw = bytearray(array_file.read_bytes())
        raw[-7] ^= 0xFF
        array_file.write_bytes(bytes(raw))
    else:
        next(tmp_path.glob("*.json")).unlink()
    rebuilt = featurize(IMAGES, SETTINGS, cache_dir=tmp_path)
    assert rebuilt.cache == "rebuilt"
    assert "incomplete or corrupt" in caplog.text
    np.testing.assert_array_equal(rebuilt.array, good)
    assert featurize(IMAGES, SETTINGS, cache_dir=tmp_path).cache == "hit"
