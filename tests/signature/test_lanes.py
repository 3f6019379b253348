"""The lanes backend's own cases: every depth and channel count, block edges, threads,
and the on-disk kernel cache. (It is also in the every-backend-against-every-other tests.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import iisignature
import numpy as np
import pytest
import torch

from sigbench.signature.backends import lanes
from sigbench.signature.backends.lanes.kernels import kernel_folder, kernel_for
from sigbench.signature.backends.lanes.layout import LANES, reciprocals
from sigbench.signature.streams import stream_groups, unit_paths
from sigbench.signature.threads import kernel_workers
from tests.helpers.signatures import relative_error

RNG = np.random.default_rng(7)


def run_kernel(paths: np.ndarray, depth: int, *, unrolled: bool) -> np.ndarray:
    out = np.full((len(paths), iisignature.siglength(paths.shape[-1], depth)), np.nan)
    kernel = kernel_for(paths.shape[-1], depth, unrolled=unrolled)
    kernel(paths[None], paths.dtype.type(1), reciprocals(depth, paths.dtype), out, 0, len(paths))
    return out


# The generic kernel here: the unrolled ones compile per shape (seconds each), and the
# shapes they serve are checked against it below and against every backend elsewhere.
@pytest.mark.parametrize("depth", range(1, 9))
def test_every_depth_matches_iisignature(depth: int) -> None:
    paths = RNG.random((LANES + 3, 6, 2))
    expected = iisignature.sig(paths, depth)
    assert relative_error(run_kernel(paths, depth, unrolled=False), expected) <= 1e-12


@pytest.mark.parametrize("channels", range(1, 9))
def test_every_channel_count_matches_iisignature(channels: int) -> None:
    paths = RNG.random((5, 9, channels))
    for depth in (2, 3):
        expected = iisignature.sig(paths, depth)
        assert relative_error(run_kernel(paths, depth, unrolled=False), expected) <= 1e-12


@pytest.mark.parametrize(("channels", "depth"), [(1, 1), (1, 3), (2, 3), (3, 2), (4, 2)])
def test_unrolled_and_generic_kernels_agree(channels: int, depth: int) -> None:
    # Lengths around the time block (8 steps) and counts around the lane block.
    for count, points in ((1, 2), (LANES, 9), (LANES + 1, 10), (2 * LANES + 5, 17)):
        paths = RNG.random((count, points, channels))
        unrolled = run_kernel(paths, depth, unrolled=True)
        assert relative_error(unrolled, run_kernel(paths, depth, unrolled=False)) <= 1e-13
        assert relative_error(unrolled, iisignature.sig(paths, depth)) <= 1e-12


def test_a_range_of_paths_fills_only_its_rows() -> None:
    paths = RNG.random((3 * LANES, 10, 2))
    kernel = kernel_for(2, 3, unrolled=True)
    out = np.full((len(paths), 14), np.nan)
    kernel(paths[None], 1.0, reciprocals(3, paths.dtype), out, LANES, 2 * LANES + 3)
    inside = slice(LANES, 2 * LANES + 3)
    assert relative_error(out[inside], iisignature.sig(paths[inside], 3)) <= 1e-12
    assert np.isnan(np.delete(out, np.s_[inside], axis=0)).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pixels_are_signed_as_their_float_paths_bit_for_bit(dtype: type) -> None:
    images = RNG.integers(0, 256, (3, LANES + 1, 9, 3), dtype=np.uint8)
    for group in stream_groups(images, two_direction=True):  # rows; columns: a strided view
        floats = lanes.signatures(unit_paths(group, np.dtype(dtype)), 3, False)
        pixels = lanes.pixel_signatures(group, np.dtype(dtype), 3, False)
        assert pixels.dtype == dtype
        np.testing.assert_array_equal(pixels, floats)


def test_depth_one_is_the_increment() -> None:
    paths = RNG.random((5, 7, 3))
    assert relative_error(lanes.signatures(paths, 1, False), iisignature.sig(paths, 1)) <= 1e-15
    assert relative_error(lanes.signatures(paths, 1, True), iisignature.sig(paths, 1)) <= 1e-15


def test_one_point_paths_and_no_paths_give_zeros() -> None:
    assert np.array_equal(lanes.signatures(RNG.random((3, 1, 3)), 4, False), np.zeros((3, 120)))
    assert lanes.signatures(np.zeros((0, 5, 3)), 4, False).shape == (0, 120)


def test_two_point_paths_are_the_increments_exponential() -> None:
    paths = RNG.random((4, 2, 3))
    dx = paths[:, 1] - paths[:, 0]
    level2 = np.einsum("bi,bj->bij", dx, dx).reshape(4, 9) / 2
    assert np.allclose(lanes.signatures(paths, 2, False), np.hstack([dx, level2]), rtol=1e-14)


def test_float32_in_float32_out() -> None:
    paths = RNG.random((LANES + 1, 12, 3))
    single = lanes.signatures(paths.astype(np.float32), 4, False)
    assert single.dtype == np.float32
    assert relative_error(single, iisignature.sig(paths, 4)) <= 1e-5


def test_log_signature_matches_iisignature() -> None:
    paths = RNG.random((LANES + 2, 7, 3))
    expected = iisignature.logsig(paths, iisignature.prepare(3, 4))
    assert relative_error(lanes.signatures(paths, 4, True), expected) <= 1e-12


def test_threads_share_the_blocks_exactly() -> None:
    paths = RNG.random((5 * LANES + 3, 10, 3))
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = lanes.signatures(paths, 3, False)
        torch.set_num_threads(3)
        shared = lanes.signatures(paths, 3, False)
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(alone, shared)


def test_parts_cover_the_paths_in_whole_blocks() -> None:
    parts = lanes._split(10 * LANES + 1, 2)
    assert parts[0].start == 0 and parts[-1].stop == 10 * LANES + 1
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:], strict=False))
    assert all(part.start % LANES == 0 for part in parts) and len(parts) == 8


def test_kernel_folder_falls_back_to_a_writable_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")  # a file: no folder can be made under it
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(blocked))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert kernel_folder.__wrapped__() == tmp_path / "xdg" / "sigbench" / "lanes"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    assert kernel_folder.__wrapped__() == tmp_path / "numba" / "sigbench-lanes"


COMPILE_AND_REPORT = """
import json, numpy as np
from sigbench.signature.backends.lanes import signatures
from sigbench.signature.backends.lanes.kernels import kernel_for
signatures(np.random.default_rng(0).random((3, 5, 2)), 2, False)
stats = kernel_for(2, 2).stats
print(json.dumps([sum(stats.cache_hits.values()), sum(stats.cache_misses.values())]))
"""


@pytest.mark.slow
def test_a_second_process_loads_the_compiled_kernel(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}

    def hits_and_misses() -> list[int]:
        done = subprocess.run(
            [sys.executable, "-c", COMPILE_AND_REPORT], env=env, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        return json.loads(done.stdout.splitlines()[-1])

    assert hits_and_misses() == [0, 1]
    assert list((tmp_path / "sigbench-lanes").glob("sigbench_lanes_c2_d2_*.py"))
    assert hits_and_misses() == [1, 0]


def test_kernel_threads_last_between_calls_and_not_into_a_forked_child() -> None:
    pool = kernel_workers(2)
    assert kernel_workers(2) is pool and kernel_workers(3) is not pool
    assert list(pool.map(abs, [-1, -2])) == [1, 2]
    child = os.fork()
    if child == 0:  # the child's pool is a new one with live threads
        code = 0 if list(kernel_workers(2).map(abs, [-3])) == [3] else 1
        os._exit(code)
    for _ in range(300):  # a child left with the parent's pool waits forever
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        pytest.fail("the forked child's kernel pool never ran its task")
    assert os.waitstatus_to_exitcode(status) == 0
