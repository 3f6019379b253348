"""System errors a user can fix (a full disk, a read-only or missing folder, permissions)
are one line naming the path, exit status 2, with nothing half-written left behind."""

from __future__ import annotations

import errno
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from sigbench import arraycache
from sigbench.arraycache import ArrayCache, scratch_array
from sigbench.errors import byte_text, system_error_line
from sigbench.runs import rundir
from tests.helpers.cli import RunCli


def _full_disk(*_: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a write reports it: no path


def test_a_cache_entry_on_a_full_disk_names_its_folder_and_size_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "posix_fallocate", _full_disk)
    cache = ArrayCache(tmp_path, "key", {}, np.dtype(np.float32), "feature cache")
    with pytest.raises(OSError) as caught, cache.writer((100, 5, 6)):
        pytest.fail("the writer opened on a full disk")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(tmp_path)
    assert caught.value.needed_bytes == 100 * 5 * 6 * 4
    assert list(tmp_path.iterdir()) == []  # no temporary file, no published entry


def test_a_write_on_a_full_disk_mid_entry_is_named_too(tmp_path: Path) -> None:
    cache = ArrayCache(tmp_path, "key", {}, np.dtype(np.float32), "feature cache")
    with pytest.raises(OSError) as caught, cache.writer((4, 3)) as writer:
        writer.file = type("FullFile", (), {"write": _full_disk})()  # the disk fills up
        writer.write(0, np.zeros((4, 3), np.float32))
    assert caught.value.filename == str(tmp_path) and caught.value.needed_bytes == 48
    assert list(tmp_path.iterdir()) == []


def test_scratch_arrays_are_reserved_so_a_full_disk_is_an_error_not_sigbus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reserved = []
    monkeypatch.setattr(os, "posix_fallocate", lambda fd, offset, size: reserved.append(size))
    assert scratch_array((10, 4), tmp_path).shape == (10, 4) and reserved == [40]
    monkeypatch.setattr(os, "posix_fallocate", _full_disk)
    with pytest.raises(OSError) as caught:
        scratch_array((10, 4), tmp_path)
    assert caught.value.filename == str(tmp_path) and caught.value.needed_bytes == 40


def test_an_atomic_text_write_on_a_full_disk_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Path, "write_bytes", _full_disk)
    target = tmp_path / "run" / "metrics.json"
    with pytest.raises(OSError) as caught:
        rundir.write_text_atomic(target, "{}\n")
    assert caught.value.filename == str(target.parent) and caught.value.needed_bytes == 3
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
        (errno.ENOENT, "no such file or folder"),
        (errno.ENOTDIR, "a part of this path is a file, not a folder"),
    ],
)
def test_each_user_fixable_error_is_its_path_and_what_is_wrong(code: int, words: str) -> None:
    error = OSError(code, os.strerror(code), "/data/[80, 60] scans/results")
    assert system_error_line(error) == f"/data/[80, 60] scans/results: {words}"


def test_a_full_disk_says_what_the_step_needed_and_what_was_free(tmp_path: Path) -> None:
    error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "cache" / "new"))
    error.needed_bytes = 2_500_000
    line = system_error_line(error)
    free = byte_text(os.statvfs(tmp_path).f_bavail * os.statvfs(tmp_path).f_frsize)
    assert line is not None and "\n" not in line
    assert line.startswith(f"{tmp_path / 'cache' / 'new'}: no space left on the device ")
    assert f"(this step needed 2.5 MB, {free} free); finished runs are kept" in line
    assert "run the same command again to resume" in line


def test_an_os_error_that_is_not_the_users_stays_a_bug() -> None:
    assert system_error_line(OSError(errno.EIO, "I/O error", "/x")) is None
    assert system_error_line(OSError(errno.ENOSPC, "No space left on device")) is None  # no path


def test_byte_text() -> None:
    assert [byte_text(n) for n in (0, 999, 1_500, 2_345_678, 7e9, 3e13)] == [
        "0 B", "999 B", "1.5 kB", "2.3 MB", "7.0 GB", "30.0 TB",
    ]  # fmt: skip


def test_train_on_a_full_disk_is_one_line_and_status_2(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "posix_fallocate", _full_disk)
    done = run_cli("train", "configs/demo.yaml", "--set", "train.epochs=1", "--results", tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith(f"error: {tmp_path}")
    assert "no space left on the device (this step needed " in lines[0]
    assert rundir.finished_runs(tmp_path) == []
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]  # nothing half-written


def test_a_results_folder_that_cannot_be_made_is_one_line(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the results folder would go\n")
    results = tmp_path / "taken" / "results"
    done = run_cli("train", "configs/demo.yaml", "--set", "train.epochs=1", "--results", results)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"error: {results}")
    assert done.stderr.strip().endswith(": a part of this path is a file, not a folder")


def test_debug_keeps_the_traceback(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "posix_fallocate", _full_disk)
    with pytest.raises(OSError, match="No space left"):
        run_cli("--debug", "train", "configs/demo.yaml", "--results", tmp_path)


def test_the_named_error_crosses_processes_whole(tmp_path: Path) -> None:
    """A sweep's worker process hands its OSError to the parent pickled: the path and the
    size must survive, or the parent's line would lose them."""
    with pytest.raises(OSError) as caught, arraycache.naming(tmp_path, 123):
        _full_disk()
    copy = pickle.loads(pickle.dumps(caught.value))
    assert system_error_line(copy) == system_error_line(caught.value)
    assert (copy.filename, getattr(copy, arraycache.NEEDED_BYTES)) == (str(tmp_path), 123)
