"""facenet_small against the HTER report's network: layers, parameter count, any H x W, a
training step, and its place in the models grid."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from sigbench.models import create_model, list_models, model_config, model_entry, named_layers
from sigbench.sweeps.grids import BUILTIN_GRIDS
from sigbench.training.costs import count_parameters


def build(shape=(3, 64, 64), classes: int = 2, **settings) -> nn.Module:
    config = model_config("facenet_small", **settings)
    return create_model("facenet_small", input_shape=shape, num_classes=classes, config=config)


def test_layers_follow_the_report() -> None:
    convs = [m for m in build().modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (3, 64, (7, 7), (2, 2)),
        (64, 64, (1, 1), (1, 1)),
        (64, 192, (3, 3), (1, 1)),
    ]
    layers = list(build().children())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in layers) == 3
    assert sum(isinstance(m, nn.MaxPool2d) for m in layers) == 2
    fc1, fc2 = [m for m in layers if isinstance(m, nn.Linear)]
    assert (fc1.in_features, fc1.out_features, fc2.out_features) == (192, 128, 2)
    assert next(m for m in layers if isinstance(m, nn.Dropout)).p == 0.5


@pytest.mark.parametrize(
    ("channels", "classes", "embedding", "params"),
    [
        # conv1 3*64*49+64, bn 128, conv2 64*64+64, bn 128, conv3 64*192*9+192, bn 384,
        # fc1 192*128+128, fc2 128*2+2: the report's two-class RGB network
        (3, 2, 128, 9_472 + 128 + 4_160 + 128 + 110_784 + 384 + 24_704 + 258),
        (1, 10, 128, 3_200 + 128 + 4_160 + 128 + 110_784 + 384 + 24_704 + 1_290),
        (3, 2, 32, 9_472 + 128 + 4_160 + 128 + 110_784 + 384 + 6_176 + 66),
    ],
)
def test_parameter_count(channels: int, classes: int, embedding: int, params: int) -> None:
    model = build((channels, 32, 32), classes, embedding=embedding)
    assert count_parameters(model) == params


@pytest.mark.parametrize("shape", [(3, 64, 64), (1, 80, 60), (1, 8, 8), (3, 25, 25)])
def test_any_image_size_gives_logits(shape: tuple[int, int, int]) -> None:
    model = build(shape, classes=3).eval()
    with torch.no_grad():
        logits = model(torch.rand(2, *shape))
    assert logits.shape == (2, 3) and torch.isfinite(logits).all()


def test_a_training_step_lowers_the_loss_on_a_fixed_batch() -> None:
    torch.manual_seed(0)
    model = build((3, 32, 32), classes=2, dropout=0.0).train()
    images, labels = torch.rand(8, 3, 32, 32), torch.tensor([0, 1] * 4)
    images[labels == 1] += 0.5  # brighter class
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert all(p.grad is not None for p in model.parameters())


def test_registered_as_an_image_baseline_in_the_models_grid() -> None:
    assert model_entry("facenet_small").input == "image"
    kinds = list_models()
    assert kinds.index("simple_cnn") < kinds.index("facenet_small") < kinds.index("vit")
    assert "facenet_small" in BUILTIN_GRIDS["models"].axes["model.kind"]


def test_equivariance_probes_the_two_stages_and_the_embedding() -> None:
    model = build()
    layers = named_layers("facenet_small", model)
    assert list(layers) == ["stage1", "stage2", "hidden"]
    assert isinstance(layers["hidden"], nn.Linear) and layers["hidden"].out_features == 128
