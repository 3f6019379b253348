"""run.json: what produced a run, read from the real git, packages and machine."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import torch

from sigbench.config import validate_config
from sigbench.experiments.train import train_run
from sigbench.models import create_model
from sigbench.runs import provenance

CPU = torch.device("cpu")


def _git(folder: Path, *arguments: str) -> None:
    subprocess.run(["git", "-C", str(folder), *arguments], check=True, capture_output=True)


def test_commit_and_dirty_flag_come_from_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    _git(tmp_path, "add", "code.py")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    monkeypatch.setattr(provenance, "SOURCE_ROOT", tmp_path)
    provenance.code_revision.cache_clear()
    clean = provenance.code_revision()
    (tmp_path / "code.py").write_text("x = 2\n")
    provenance.code_revision.cache_clear()
    dirty = provenance.code_revision()
    provenance.code_revision.cache_clear()
    assert clean is not None and dirty is not None
    assert len(clean["commit"]) == 40 and clean["commit"] == dirty["commit"]
    assert (clean["dirty"], dirty["dirty"]) == (False, True)


def test_no_checkout_no_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provenance, "SOURCE_ROOT", tmp_path)  # an installed copy: no .git
    provenance.code_revision.cache_clear()
    assert provenance.code_revision() is None
    provenance.code_revision.cache_clear()


def test_command_line_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["/x/.venv/bin/sigbench", "train", "c.yaml", "--set", "a.b=[1, 2]", "-s", "c=3",
            "--set=d=4"]  # fmt: skip
    monkeypatch.setattr("sys.argv", argv)
    facts = provenance.run_provenance(validate_config({}), CPU, uses_signature=True)
    assert facts["command"] == "sigbench train c.yaml --set 'a.b=[1, 2]' -s c=3 --set=d=4"
    assert facts["overrides"] == ["a.b=[1, 2]", "c=3", "d=4"]
    assert provenance.command_text(["/r/sigbench/__main__.py", "eval", "run"]) == (
        "python -m sigbench eval run"
    )


def test_the_backend_auto_chose_is_recorded_with_its_package() -> None:
    facts = provenance.run_provenance(validate_config({}), CPU, uses_signature=True)["signature"]
    assert facts["backend"] == "auto" and facts["resolved_backend"] == "lanes"
    assert facts["package"] == "numba" and facts["package_version"]
    torch_run = validate_config({"signature": {"backend": "torch"}})
    assert provenance.signature_provenance(torch_run, "cpu")["resolved_backend"] == "torch"
    on_a_gpu = provenance.signature_provenance(validate_config({}), "cuda:0")
    assert on_a_gpu["resolved_backend"] == "torch"  # what featurize signs with there
    image_model = validate_config({"model": {"kind": "simple_cnn"}})
    assert provenance.run_provenance(image_model, CPU, uses_signature=False)["signature"] is None


def test_the_resolved_device_is_recorded_beside_the_setting() -> None:
    """``train.device: auto`` is recorded as the device it became, so a table's row can say
    which hardware produced it."""
    facts = provenance.run_provenance(validate_config({}), CPU, uses_signature=False)
    assert (facts["device"], facts["device_setting"]) == ("cpu", "auto")
    assert facts["cpu"] and facts["threads"] == torch.get_num_threads() and "cuda" not in facts


def test_run_json_records_the_weights_file_the_model_started_from(tmp_path: Path) -> None:
    """A baseline filled from a checkpoint says which file (path and sha256); one trained
    from scratch says null."""
    start = tmp_path / "start.pt"
    model = create_model("simple_cnn", input_shape=(1, 8, 8), num_classes=10)
    torch.save(model.state_dict(), start)
    spec = {
        "data": {"name": "digits", "image_size": 8, "max_per_class": 6, "val_split": 0.0},
        "model": {"kind": "simple_cnn", "weights": str(start)},
        "train": {"epochs": 1},
    }
    run = train_run(validate_config(spec), tmp_path / "r").run_dir
    recorded = json.loads((run / "run.json").read_text())["weights"]
    digest = hashlib.sha256(start.read_bytes()).hexdigest()
    assert recorded == {"path": str(start.resolve()), "sha256": digest}
    spec["model"] = {"kind": "simple_cnn"}
    scratch = train_run(validate_config(spec), tmp_path / "r").run_dir
    assert json.loads((scratch / "run.json").read_text())["weights"] is None
