"""gcnn_c4 and gcnn_c8: filter rotation, the equivariance of lifting and group convolution,
exact C4 invariance of the pooled features, the grids they are in, and a training step."""

from __future__ import annotations

import math

import pytest
import torch
import yaml
from torch import nn

from sigbench.models import create_model, model_config, named_layers
from sigbench.models.group_equivariant import GroupConv, LiftingConv, rotation_matrix
from sigbench.sweeps.grids import BUILTIN_GRIDS

SHAPE = (1, 28, 28)
KINDS = ["gcnn_c4", "gcnn_c8"]


def build(kind: str, **settings) -> nn.Module:
    config = model_config(kind, **settings)
    return create_model(kind, input_shape=SHAPE, num_classes=10, config=config).eval()


def rot90(x: torch.Tensor, k: int = 1) -> torch.Tensor:
    return torch.rot90(x, k, dims=(-2, -1))


@pytest.mark.parametrize("size", [3, 5])
def test_right_angles_permute_the_taps_as_rot90_does(size: int) -> None:
    weight = torch.randn(4, 2, size, size)
    for k in range(4):
        matrix = rotation_matrix(size, k * math.pi / 2)
        assert torch.equal((weight.flatten(-2) @ matrix.T).view(weight.shape), rot90(weight, k))
    half = rotation_matrix(size, math.pi / 4)  # 45 degrees: interpolated, not a permutation
    assert ((half > 0) & (half < 1)).any()
    centre = size * size // 2
    assert half[centre, centre] == 1  # the centre tap stays


def test_lifting_and_group_convolution_are_c4_equivariant() -> None:
    torch.manual_seed(0)
    lift, conv = LiftingConv(2, 3, 4, 3), GroupConv(3, 5, 4, 3)
    x = torch.rand(2, 2, 12, 12)
    with torch.no_grad():
        lifted, turned = lift(x), lift(rot90(x))
        # turning the input turns every map and shifts the group axis by one step
        assert torch.allclose(turned, torch.roll(rot90(lifted), 1, dims=2), atol=1e-6)
        assert torch.allclose(conv(turned), torch.roll(rot90(conv(lifted)), 1, dims=2), atol=1e-5)


def _pooled(kind: str, model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    captured = {}
    layer = named_layers(kind, model)["pooled"]
    handle = layer.register_forward_hook(lambda _m, _i, out: captured.setdefault("out", out))
    with torch.no_grad():
        model(images)
    handle.remove()
    return captured["out"]


@pytest.mark.parametrize("kind", KINDS)
def test_pooled_features_are_invariant_to_right_angle_turns(kind: str) -> None:
    torch.manual_seed(0)
    model = build(kind)
    images = torch.rand(3, *SHAPE)
    clean = _pooled(kind, model, images)
    assert clean.shape[0] == 3 and clean.abs().max() > 0
    for k in (1, 2, 3):
        turned = _pooled(kind, model, rot90(images, k))
        assert torch.allclose(turned, clean, rtol=1e-5, atol=1e-6), (
            k,
            (turned - clean).abs().max(),
        )
    # and not to a mirror image, which C4 does not contain: the check can fail
    mirrored = _pooled(kind, model, images.flip(-1))
    assert (mirrored - clean).abs().max() > 1e-4


def test_c8_is_only_approximately_invariant_to_45_degrees() -> None:
    from sigbench.experiments.equivariance import rotate_images

    torch.manual_seed(0)
    model = build("gcnn_c8")
    disc = torch.zeros(2, 28, 28, 1, dtype=torch.uint8)
    y, x = torch.meshgrid(torch.arange(28), torch.arange(28), indexing="ij")
    disc[:, ((y - 13.5) ** 2 + (x - 13.5) ** 2) < 100] = 200
    disc[1, 10:18, 12:16] = 40  # a bar that turns
    turned = torch.from_numpy(rotate_images(disc.numpy(), 45.0))
    as_input = lambda images: images.permute(0, 3, 1, 2).float() / 255  # noqa: E731
    clean, moved = (_pooled("gcnn_c8", model, as_input(t)) for t in (disc, turned))
    error = float(((moved - clean) ** 2).sum() / (clean**2).sum())
    assert 0 < error < 0.05


def test_in_the_models_and_scale_grids() -> None:
    kinds = BUILTIN_GRIDS["models"].axes["model.kind"]
    assert kinds.index("dss_cnn") < kinds.index("gcnn_c4") < kinds.index("gcnn_c8")
    with open("configs/scale_models.yaml") as handle:
        assert set(KINDS) <= set(yaml.safe_load(handle)["model.kind"])


def test_parameter_counts_follow_cohen_and_welling() -> None:
    def count(model: nn.Module) -> int:
        return sum(p.numel() for p in model.parameters())

    head = lambda width: width * 64 + 64 + 64 * 10 + 10  # noqa: E731
    # C4: the lecture CNN's 16-32-64 channels divided by 2; a group conv filter has N taps
    # per input channel
    c4 = (8 * 1 * 9 + 8) + (16 * 8 * 4 * 9 + 16) + (32 * 16 * 4 * 9 + 32) + head(32)
    assert count(build("gcnn_c4")) == c4
    assert count(build("gcnn_c4", kernel_size=5)) == c4 + (8 + 16 * 8 * 4 + 32 * 16 * 4) * 16
    c8 = (6 * 9 + 6) + (11 * 6 * 8 * 9 + 11) + (23 * 11 * 8 * 9 + 23) + head(23)
    assert count(build("gcnn_c8")) == c8


def test_an_even_kernel_is_refused() -> None:
    with pytest.raises(ValueError, match="expected an odd size"):
        model_config("gcnn_c4", kernel_size=4)


@pytest.mark.parametrize("kind", KINDS)
def test_named_layers_and_a_training_step(kind: str) -> None:
    torch.manual_seed(0)
    model = build(kind).train()
    layers = named_layers(kind, model)
    assert list(layers) == ["stage1", "stage2", "stage3", "group_pool", "pooled", "hidden"]
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
