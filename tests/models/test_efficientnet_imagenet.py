"""The real ImageNet EfficientNet-Lite0 checkpoint, mapped by order onto timm's model, sees
what a photo shows: proof that ``model.weights: imagenet`` gives trained features."""

import numpy as np
import pytest
import timm
import torch
import torch.nn.functional as F
from skimage import data

from sigbench.models import create_model, model_config
from sigbench.models.cnn import imagenet_files
from sigbench.models.weights import find_imagenet_file, load_matching, read_state_dict

CATS = {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967


@pytest.fixture(scope="module")
def classifier() -> torch.nn.Module:
    """timm's efficientnet_lite0 with its 1000-class head, holding the packaged weights."""
    model = timm.create_model("efficientnet_lite0", pretrained=False).eval()
    path = find_imagenet_file(imagenet_files("efficientnet_lite0", model), None)
    load_matching(model, read_state_dict(path), str(path), "efficientnet_lite0")
    return model


def top5(model: torch.nn.Module, photo: np.ndarray) -> list[int]:
    pixels = torch.from_numpy(photo).permute(2, 0, 1)[None].float() / 255
    pixels = F.interpolate(pixels, size=(224, 224), mode="bilinear", antialias=True)
    mean = torch.tensor(model.pretrained_cfg["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(model.pretrained_cfg["std"]).view(1, 3, 1, 1)
    with torch.no_grad():
        return model((pixels - mean) / std).topk(5).indices[0].tolist()


def test_chelsea_is_a_cat_and_coffee_is_espresso(classifier: torch.nn.Module) -> None:
    assert top5(classifier, data.chelsea())[0] in CATS
    assert ESPRESSO in top5(classifier, data.coffee())[:2]


def test_imagenet_option_gives_the_same_backbone(classifier: torch.nn.Module) -> None:
    model = create_model(
        "efficientnet_lite0",
        input_shape=(3, 32, 32),
        num_classes=2,
        config=model_config("efficientnet_lite0", weights="imagenet"),
    )
    assert model.pretrained
    expected = classifier.state_dict()
    for name, value in model.backbone.state_dict().items():
        assert torch.equal(value, expected[name]), name
