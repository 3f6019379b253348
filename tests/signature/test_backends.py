"""Every backend against every other, on random and real images, for every setting."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest

from sigbench.errors import SigbenchError
from sigbench.signature import PATH_TRANSFORMS, available_backends, image_signatures
from sigbench.signature import backends as backend_registry
from sigbench.signature.backends import BACKENDS, resolve_backend
from tests.helpers.signatures import IMAGE_SETS, photos, relative_error

ALL_BACKENDS = list(BACKENDS)


def test_all_five_backends_are_installed() -> None:
    # They are all project dependencies: a missing one is a broken install, not a skip.
    assert available_backends() == ["lanes", "pysiglib", "signatory", "torch", "iisignature"]


@pytest.mark.parametrize("images", IMAGE_SETS)
@pytest.mark.parametrize("path", PATH_TRANSFORMS)
@pytest.mark.parametrize("log_sig", [False, True], ids=["sig", "logsig"])
@pytest.mark.parametrize("two_direction", [False, True], ids=["rows", "rows+cols"])
def test_backends_agree_in_float64(
    images: str, path: str, log_sig: bool, two_direction: bool
) -> None:
    pixels = IMAGE_SETS[images]()
    results = {
        backend: image_signatures(
            pixels, 4, two_direction=two_direction, log_sig=log_sig, path=path,
            backend=backend, dtype=np.float64,
        )
        for backend in ALL_BACKENDS
    }  # fmt: skip
    for first, second in itertools.combinations(ALL_BACKENDS, 2):
        assert relative_error(results[first], results[second]) <= 1e-5, (first, second)


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_float32_stays_close_to_float64(backend: str) -> None:
    single = image_signatures(photos(), 4, two_direction=True, backend=backend)
    double = image_signatures(photos(), 4, two_direction=True, backend=backend, dtype=np.float64)
    assert single.dtype == np.float32
    assert relative_error(single, double) <= 1e-5


def test_auto_is_the_fastest_installed_backend() -> None:
    assert resolve_backend("auto") == "lanes"
    assert [resolve_backend("auto", depth) for depth in (1, 2, 4)] == ["pysiglib", "lanes", "lanes"]


def test_auto_falls_back_when_the_depth_one_choice_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load = backend_registry._load
    monkeypatch.setattr(
        backend_registry, "_load", lambda name: None if name == "pysiglib" else load(name)
    )
    assert resolve_backend("auto", 1) == "lanes"


def test_unknown_backend_lists_the_valid_ones() -> None:
    with pytest.raises(SigbenchError, match="choose auto or one of lanes, pysiglib, signatory"):
        resolve_backend("gpu")


def test_missing_backend_lists_the_installed_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    load = backend_registry._load
    monkeypatch.setattr(
        backend_registry, "_load", lambda name: None if name == "signatory" else load(name)
    )
    with pytest.raises(
        SigbenchError, match="not installed here; installed: lanes, pysiglib, torch, iisig"
    ):
        resolve_backend("signatory")
    assert available_backends() == ["lanes", "pysiglib", "torch", "iisignature"]


def test_importing_the_engine_imports_no_backend_package() -> None:
    code = (
        "import sys, numpy as np\n"
        "from sigbench.signature import image_signatures\n"
        "packages = {'signatory', 'iisignature', 'pysiglib', 'numba'}\n"
        "assert not packages & set(sys.modules)\n"
        "image_signatures(np.zeros((1, 2, 2, 3), np.uint8), 2, backend='torch')\n"
        "assert not packages & set(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def fresh_loading(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """Backends loaded afresh, with modules from ``tmp_path`` importable."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(backend_registry, "LOAD_FAILURES", {})
    for cached in (backend_registry._load, backend_registry._report_fallback):
        cached.cache_clear()
    yield tmp_path
    for cached in (backend_registry._load, backend_registry._report_fallback):
        cached.cache_clear()


def test_auto_says_once_why_a_faster_backend_did_not_load(
    fresh_loading, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (fresh_loading / "sigbench_absent_backend.py").write_text("import no_such_package_here\n")
    monkeypatch.setitem(backend_registry.BACKENDS, "lanes", "sigbench_absent_backend")
    with caplog.at_level("WARNING", logger=backend_registry.__name__):
        assert resolve_backend("auto", 4) == resolve_backend("auto", 3) == "pysiglib"
    (warning,) = caplog.messages  # once, however often auto is resolved
    assert "lanes did not load (ModuleNotFoundError: No module named 'no_such_package_here')" in (
        warning
    )
    assert "using pysiglib" in warning
    assert "lanes" not in available_backends()


def test_a_backend_that_breaks_on_import_is_a_bug_not_a_missing_package(
    fresh_loading, monkeypatch: pytest.MonkeyPatch
) -> None:
    (fresh_loading / "sigbench_broken_backend.py").write_text("raise RuntimeError('bug')\n")
    monkeypatch.setitem(backend_registry.BACKENDS, "lanes", "sigbench_broken_backend")
    with pytest.raises(RuntimeError, match="bug"):
        resolve_backend("auto", 4)
