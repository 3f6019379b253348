"""The scale work end to end: train on fashion-mnist-scale (from a tiny IDX set this test
writes), then `eval --equivariance` on a CNN run and an ImageSig run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers.cli import RunCli, only_run
from tests.helpers.images import write_idx

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fashion_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fashion-MNIST-shaped IDX files: 100 + 40 28x28 images, a bright bar per class."""
    root = tmp_path_factory.mktemp("fmnist")
    rng = np.random.default_rng(0)
    for split, n in (("train", 100), ("t10k", 40)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 40, (n, 28, 28))
        for i, label in enumerate(labels):
            images[i, 2 + 2 * label : 5 + 2 * label, 4:24] = 255
        write_idx(root / f"{split}-images-idx3-ubyte", images)
        write_idx(root / f"{split}-labels-idx1-ubyte", labels)
    return root


def _train(run_cli: RunCli, tmp_path: Path, root: Path, kind: str) -> Path:
    done = run_cli(
        "train", "configs/fashion_scale.yaml", "--results", tmp_path,
        "--set", f"data.root={root}", "--set", f"model.kind={kind}",
        "--set", "train.epochs=2", "--set", "data.val_split=0.25",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return only_run(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "layers"),
    [
        ("dss_cnn", ["stage1", "stage2", "stage3", "scale_pool", "hidden"]),
        ("imagesig_fc", ["signature_rows", "signature_columns", "hidden"]),
    ],
)
def test_train_on_fashion_mnist_scale_then_equivariance(
    run_cli: RunCli, fashion_root: Path, tmp_path: Path, kind: str, layers: list[str]
) -> None:
    run = _train(run_cli, tmp_path, fashion_root, kind)
    done = run_cli("eval", run, "--equivariance", "--scales", "0.5,2")
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(run / "equivariance.csv")
    assert list(dict.fromkeys(frame["layer"])) == layers
    assert len(frame) == 2 * len(layers) and set(frame["scale"]) == {0.5, 2.0}
    assert (frame.loc[frame["layer"] == "hidden", "form"] == "invariance").all()
    assert (frame["delta"] > 0).all() and (run / "equivariance.png").stat().st_size > 0
    assert "equivariance error of" in done.stdout


@pytest.mark.slow
def test_train_a_group_cnn_then_rotation_equivariance(
    run_cli: RunCli, fashion_root: Path, tmp_path: Path
) -> None:
    run = _train(run_cli, tmp_path, fashion_root, "gcnn_c4")
    done = run_cli("eval", run, "--equivariance", "--transform", "rotate", "--angles", "45,90")
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(run / "equivariance_rotate.csv")
    layers = ["stage1", "stage2", "stage3", "group_pool", "pooled", "hidden"]
    assert list(dict.fromkeys(frame["layer"])) == layers
    assert len(frame) == 2 * len(layers) and set(frame["angle"]) == {45.0, 90.0}
    at_90 = frame[frame["angle"] == 90.0].set_index("layer")["delta"]
    # C4 contains the quarter turn: the pooled features do not move, the head's barely
    assert at_90["pooled"] < 1e-10 and at_90["hidden"] < 1e-10
    assert at_90["group_pool"] < 1e-10  # the group-pooled map turns with the image
    assert at_90["stage1"] > 1e-3  # the group axis, folded into channels, shifts
    assert "rotate equivariance error of" in done.stdout
    assert (run / "equivariance_rotate.png").stat().st_size > 0


def test_bad_scale_options_fail_before_any_work(run_cli: RunCli, tmp_path: Path) -> None:
    bad = run_cli("eval", tmp_path, "--equivariance", "--scales", "half")
    assert bad.returncode == 2 and "--scales 'half'" in bad.stderr
    assert "Traceback" not in bad.stderr
    orphan = run_cli("eval", tmp_path, "--scales", "0.5")
    assert orphan.returncode == 2 and "belong to --equivariance" in orphan.stderr
    for args, message in (
        (["--transform", "shear"], "'shear' is not one of scale, rotate"),
        (["--angles", "45"], "--angles goes with --transform rotate"),
        (["--transform", "rotate", "--scales", "0.5"], "--scales goes with --transform scale"),
        (["--transform", "rotate", "--angles", "wide"], "--angles 'wide'"),
    ):
        bad = run_cli("eval", tmp_path, "--equivariance", *args)
        assert bad.returncode == 2 and message in bad.stderr, (args, bad.stderr)
        assert "Traceback" not in bad.stderr
