"""deformable_cnn and dss_cnn: parameter counts from their definition, the zero-offset start
that makes the deformable CNN the lecture CNN, scale-space lifting and tied scale
convolutions, the named layers, and a training step."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from sigbench.models import create_model, list_models, model_config, named_layers
from sigbench.models.deformable import DeformableConv
from sigbench.models.scale_space import GaussianLift, ScaleConv
from sigbench.sweeps.grids import BUILTIN_GRIDS

SHAPE = (1, 28, 28)


def build(kind: str, **settings) -> nn.Module:
    config = model_config(kind, **settings)
    return create_model(kind, input_shape=SHAPE, num_classes=10, config=config)


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_both_are_in_the_models_grid_after_simple_cnn() -> None:
    kinds = BUILTIN_GRIDS["models"].axes["model.kind"]
    assert kinds.index("simple_cnn") < kinds.index("deformable_cnn") < kinds.index("dss_cnn")
    assert set(kinds) == set(list_models())


def test_parameter_counts() -> None:
    conv = lambda c_in, c_out, taps=1: c_out * c_in * taps * 9 + c_out  # noqa: E731
    dense = (64 * 64 + 64) + (64 * 10 + 10)
    plain = conv(1, 16) + conv(16, 32) + conv(32, 64) + dense
    assert count(build("simple_cnn")) == plain == 28_106
    offsets = conv(16, 18) + conv(32, 18)  # an (x, y) per tap of the last two stages
    assert count(build("deformable_cnn")) == plain + offsets
    assert count(build("deformable_cnn", deformable_stages=3)) == plain + offsets + conv(1, 18)
    dss = conv(1, 16, 2) + conv(16, 32, 2) + conv(32, 64, 2) + dense
    assert count(build("dss_cnn")) == dss
    assert count(build("dss_cnn", interaction=1)) == plain


def test_deformable_cnn_starts_as_the_lecture_cnn() -> None:
    torch.manual_seed(0)
    deformable = build("deformable_cnn").eval()
    plain = build("simple_cnn").eval()
    state = {}
    for name, module in deformable.named_children():
        prefix = name
        if isinstance(module, DeformableConv):  # its sampling conv, as a plain conv's
            state[f"{prefix}.weight"] = module.conv.weight
            state[f"{prefix}.bias"] = module.conv.bias
        else:
            state.update({f"{prefix}.{k}": v for k, v in module.state_dict().items()})
    plain.load_state_dict(state)
    images = torch.rand(3, *SHAPE)
    with torch.no_grad():
        assert torch.allclose(deformable(images), plain(images), atol=1e-5)


def test_lifting_keeps_level_zero_and_blurs_the_rest() -> None:
    lift = GaussianLift(3, 0.5)
    image = torch.zeros(1, 1, 21, 21)
    image[..., 10, 10] = 1.0
    levels = lift(image)
    assert levels.shape == (1, 1, 3, 21, 21)
    assert torch.equal(levels[:, :, 0], image)
    peaks = [float(levels[0, 0, k].max()) for k in range(3)]
    assert peaks[0] > peaks[1] > peaks[2]  # wider blur at coarser levels
    assert torch.allclose(levels.sum(dim=(-1, -2)), torch.ones(1, 1, 3), atol=1e-4)


def test_scale_convolution_ties_weights_and_dilates_per_level() -> None:
    torch.manual_seed(0)
    layer = ScaleConv(2, 3, interaction=1)
    x = torch.rand(1, 2, 3, 12, 12)
    out = layer(x)
    weight = layer.weight[:, :, 0]
    for k in range(3):
        expected = nn.functional.conv2d(x[:, :, k], weight, layer.bias, dilation=2**k, padding=2**k)
        assert torch.allclose(out[:, :, k], expected, atol=1e-6)


@pytest.mark.parametrize("kind", ["deformable_cnn", "dss_cnn"])
def test_named_layers_and_a_training_step(kind: str) -> None:
    torch.manual_seed(0)
    model = build(kind)
    layers = named_layers(kind, model)
    assert list(layers)[:3] == ["stage1", "stage2", "stage3"] and list(layers)[-1] == "hidden"
    optimizer = torch.optim.Adam(model.parameters(), 1e-2)
    images, labels = torch.rand(16, *SHAPE), torch.arange(16) % 10
    losses = []
    for _ in range(5):
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    if kind == "deformable_cnn":  # the offset branch learns away from the regular grid
        offsets = [m.offset.weight for m in model.modules() if isinstance(m, DeformableConv)]
        assert all(w.abs().sum() > 0 for w in offsets)
