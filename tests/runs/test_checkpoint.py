"""The checkpoint format: a round trip through torch.load(weights_only=True), and a
checkpoint that would run pickled code is refused with one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sigbench.config import validate_config
from sigbench.errors import SigbenchError
from sigbench.models import create_model
from sigbench.runs import rundir
from sigbench.runs.checkpoint import CHECKPOINT_FORMAT, make_checkpoint, read_checkpoint


class Payload:
    """Any class torch's weights-only unpickler does not allow."""


def test_a_checkpoint_with_optimizer_state_loads_weights_only(tmp_path: Path) -> None:
    config = validate_config({"model": {"neurons": 4}})
    model = create_model("imagesig_fc", input_shape=(3, 5), num_classes=2, config=config.model)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 3, 5)).sum().backward()
    optimizer.step()
    checkpoint = make_checkpoint(
        config,
        model,
        input_shape=(3, 5),
        classes=["a", "b"],
        channels=1,
        optimizer_state=optimizer.state_dict(),
    )
    path = tmp_path / rundir.CHECKPOINT_FILE
    rundir.save_torch_atomic(path, checkpoint)
    loaded = read_checkpoint(path)
    assert loaded["format"] == CHECKPOINT_FORMAT and loaded["classes"] == ["a", "b"]
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded["state_dict"][name], tensor)
    assert loaded["optimizer_state"]["param_groups"][0]["betas"] == (0.9, 0.999)


def test_a_checkpoint_holding_arbitrary_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / rundir.CHECKPOINT_FILE
    torch.save({"format": CHECKPOINT_FORMAT, "payload": Payload()}, path)
    with pytest.raises(SigbenchError, match="not a readable checkpoint .it holds objects") as error:
        read_checkpoint(path)
    assert str(path) in str(error.value)
    assert "\n" not in str(error.value)
