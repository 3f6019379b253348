"""Dataset featurization: the same numbers as image_signatures, and a cache that can't lie."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from sigbench.signature import SignatureSpec, featurize, image_signatures, resolve_backend
from tests.helpers.progress import RecordingProgress
from tests.helpers.signatures import digits, random_images

IMAGES = random_images((20, 6, 5, 3))
SETTINGS = SignatureSpec(depth=3, two_direction=True, path="time")


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("batch_size", [None, 1, 3, 7, 20])
def test_featurize_equals_image_signatures_in_any_batching(
    batch_size: int | None, threads: int, torch_threads: Callable[[int], None]
) -> None:
    torch_threads(threads)  # one worker, or batches signed by three at once
    progress = RecordingProgress()
    features = featurize(IMAGES, SETTINGS, batch_size=batch_size, progress=progress)
    assert features.cache == "off"
    expected = image_signatures(IMAGES, 3, two_direction=True, path="time")
    np.testing.assert_array_equal(features.array, expected)
    assert [(task.total, task.done) for task in progress.tasks] == [(20, 20)]


def test_grayscale_images_and_memory_mapped_input(tmp_path: Path) -> None:
    images = np.lib.format.open_memmap(tmp_path / "images.npy", "w+", np.uint8, (4, 8, 8))
    images[:] = digits()
    settings = SignatureSpec(depth=4, path="lead_lag", log_sig=True)
    features = featurize(images, settings, cache_dir=tmp_path / "cache", batch_size=3)
    expected = image_signatures(digits(), 4, path="lead_lag", log_sig=True)
    np.testing.assert_array_equal(features.array, expected)
    # The key is the pixel content: the same pixels in memory hit the same entry.
    assert featurize(digits(), settings, cache_dir=tmp_path / "cache").cache == "hit"


def test_second_identical_call_hits_the_cache(tmp_path: Path) -> None:
    first = featurize(IMAGES, SETTINGS, cache_dir=tmp_path, batch_size=6)
    second = featurize(IMAGES.copy(), SETTINGS, cache_dir=tmp_path)
    assert (first.cache, second.cache) == ("miss", "hit")
    assert second.seconds < 0.5
    assert isinstance(second.array, np.memmap) and not second.array.flags.writeable
    assert second.array.dtype == np.float32 and second.array.shape == (20, 11, 84)
    np.testing.assert_array_equal(first.array, second.array)
    # "auto" and the backend it resolves to make the same features.
    backend = resolve_backend("auto")
    resolved = SignatureSpec(depth=3, two_direction=True, path="time", backend=backend)
    assert featurize(IMAGES, resolved, cache_dir=tmp_path).cache == "hit"


@pytest.mark.parametrize(
    "changed",
    [
        SignatureSpec(depth=2, two_direction=True, path="time"),
        SignatureSpec(depth=3, two_direction=False, path="time"),
        SignatureSpec(depth=3, two_direction=True, path="lead_lag"),
        SignatureSpec(depth=3, two_direction=True, path="time", log_sig=True),
        SignatureSpec(depth=3, two_direction=True, path="time", backend="iisignature"),
    ],
)
def test_any_setting_change_misses(tmp_path: Path, changed: SignatureSpec) -> None:
    featurize(IMAGES, SETTINGS, cache_dir=tmp_path)
    assert featurize(IMAGES, changed, cache_dir=tmp_path).cache == "miss"


@pytest.mark.parametrize("change", ["one_bit", "fewer_images", "transposed"])
def test_other_pixels_miss(tmp_path: Path, change: str) -> None:
    featurize(IMAGES, SETTINGS, cache_dir=tmp_path)
    if change == "one_bit":
        changed = IMAGES.copy()
        changed[3, 2, 1, 0] ^= 1
    elif change == "fewer_images":
        changed = IMAGES[:-1]
    else:  # the same bytes read as another shape
        changed = IMAGES.reshape(20, 5, 6, 3)
    assert featurize(changed, SETTINGS, cache_dir=tmp_path).cache == "miss"


def _damage(tmp_path: Path, damage: str) -> None:
    (array_file,) = tmp_path.glob("*.npy")
    (meta_file,) = tmp_path.glob("*.json")
    raw = bytearray(array_file.read_bytes())
    if damage == "truncated":
        array_file.write_bytes(raw[:-100])
    elif damage == "one_byte_flipped":
        raw[len(raw) // 2] ^= 0xFF
        array_file.write_bytes(raw)
    elif damage == "bytes_appended":
        array_file.write_bytes(raw + b"\0" * 64)
    elif damage == "no_sidecar":
        meta_file.unlink()
    elif damage == "garbled_sidecar":
        meta_file.write_text("{not json")
    else:  # no array
        array_file.unlink()


@pytest.mark.parametrize(
    "damage",
    [
        "truncated",
        "one_byte_flipped",
        "bytes_appended",
        "no_sidecar",
        "garbled_sidecar",
        "no_array",
    ],
)
def test_damaged_cache_is_rebuilt_and_reported(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = np.array(featurize(IMAGES, SETTINGS, cache_dir=tmp_path).array)
    _damage(tmp_path, damage)
    rebuilt = featurize(IMAGES, SETTINGS, cache_dir=tmp_path)
    assert rebuilt.cache == "rebuilt"
    assert "incomplete or corrupt; recomputing it" in caplog.text
    np.testing.assert_array_equal(rebuilt.array, good)
    assert featurize(IMAGES, SETTINGS, cache_dir=tmp_path).cache == "hit"


def test_an_interrupted_run_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        featurize(IMAGES, SETTINGS, cache_dir=tmp_path, batch_size=4, progress=RecordingProgress(8))
    assert list(tmp_path.iterdir()) == []
    assert featurize(IMAGES, SETTINGS, cache_dir=tmp_path).cache == "miss"


def test_auto_signs_with_the_torch_backend_on_a_gpu_and_an_explicit_choice_stays() -> None:
    """Backend choice is logic: checked here without a GPU (no CUDA call is made)."""
    assert resolve_backend("auto", 4, "cuda:0") == "torch"
    assert resolve_backend("lanes", 4, "cuda:0") == "lanes"
    assert resolve_backend("auto", 4, "cpu") == resolve_backend("auto", 4)


def test_the_device_path_of_the_torch_backend_matches_lanes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The chunked copy-sign-copy-back loop a GPU runs, run on the CPU with chunks small
    enough that the paths span several."""
    from sigbench.signature.backends import backend_function, torch_backend

    monkeypatch.setattr(torch_backend, "GPU_CHUNK_ELEMENTS", 64)
    paths = np.random.default_rng(0).random((50, 7, 3)).astype(np.float32)
    for log_sig in (False, True):
        there = torch_backend.signatures_on("cpu")(paths, 3, log_sig)
        lanes = backend_function("lanes")(paths, 3, log_sig)
        np.testing.assert_allclose(there, lanes, rtol=1e-5, atol=1e-6)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_featurize_on_the_gpu_matches_the_cpu_to_float32_rounding(tmp_path: Path) -> None:
    images = random_images((200, 16, 16, 3))
    on_cpu = featurize(images, SETTINGS)
    on_gpu = featurize(images, SETTINGS, device="cuda:0", cache_dir=tmp_path)
    assert on_gpu.cache == "miss"
    np.testing.assert_allclose(on_gpu.array, on_cpu.array, rtol=1e-5, atol=1e-6)
    again = featurize(images, SETTINGS, device="cuda:0", cache_dir=tmp_path)
    assert again.cache == "hit"
