"""Baseline kinds: shapes (grayscale too), the lecture's parameter counts, finetune freezing,
weight files and the errors a user meets when weights are missing or foreign."""

import hashlib
from dataclasses import replace
from pathlib import Path

import huggingface_hub.constants
import pytest
import timm
import torch
from torch import nn

from sigbench.errors import SigbenchError
from sigbench.models import cnn, create_model, list_models, model_config, model_entry
from sigbench.models.cnn import FAMILIES
from sigbench.models.transfer import TransferNet, apply_finetune
from sigbench.models.weights import loaded_weights
from sigbench.options import FINETUNE_MODES

BASELINES = [kind for kind in list_models() if model_entry(kind).input == "image"]


def build(kind: str, shape=(3, 16, 16), classes: int = 3, **settings) -> nn.Module:
    return create_model(
        kind, input_shape=shape, num_classes=classes, config=model_config(kind, **settings)
    )


def trainable(model: nn.Module) -> set[str]:
    return {name for name, p in model.named_parameters() if p.requires_grad}


@pytest.fixture
def no_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Empty torch hub and Hugging Face caches, whatever this machine holds."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    return tmp_path


@pytest.mark.parametrize("kind", BASELINES)
@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 25, 25), (1, 28, 28), (1, 20, 12)])
def test_every_baseline_maps_pixels_to_logits(kind: str, shape: tuple[int, int, int]) -> None:
    assert model_entry(kind).input == "image"
    model = build(kind, shape).eval()
    with torch.no_grad():
        logits = model(torch.rand(2, *shape))
    assert logits.shape == (2, 3)
    assert torch.isfinite(logits).all()


def test_lecture_baselines_have_the_lectures_parameter_counts() -> None:
    # computer-vision-lecture.txt: 80x60 grayscale characters, 55 classes.
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(build("simple_cnn", (1, 80, 60), 55)) == 88_375
    assert count(build("logistic", (1, 80, 60), 55)) == 264_055


def test_vit_patches_suit_the_resolution() -> None:
    assert build("vit", (3, 32, 32)).backbone.patch_embed.patch_size == (4, 4)
    assert build("vit", (3, 64, 64)).backbone.patch_embed.patch_size == (8, 8)
    with pytest.raises(SigbenchError, match="model.attention_heads = 3"):
        build("vit", attention_heads=3)


def test_head_is_the_papers_dense_block() -> None:
    head = build("resnet18", neurons=50, dropout=0.4).head
    assert [type(layer) for layer in head] == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]
    assert head[0].out_features == 50 and head[2].p == 0.4 and head[3].out_features == 3


@pytest.fixture
def resnet18_file(tmp_path: Path) -> Path:
    """A timm resnet18 checkpoint (with its 1000-class classifier), under torchvision's name."""
    path = tmp_path / "weights" / "resnet18-f37072fd.pth"
    path.parent.mkdir()
    torch.manual_seed(1)
    torch.save(timm.create_model("resnet18").state_dict(), path)
    return path


def test_finetune_modes_freeze_what_they_say(resnet18_file: Path) -> None:
    model = build("resnet18", weights=str(resnet18_file))
    assert isinstance(model, TransferNet) and model.pretrained
    head = {n for n, _ in model.named_parameters() if n.startswith("head.")}
    layer4 = {n for n, _ in model.named_parameters() if n.startswith("backbone.layer4.")}

    expected = {
        "head": head,
        "last_stage": head | layer4,
        "full": set(dict(model.named_parameters())),
    }
    assert list(expected) == list(FINETUNE_MODES)
    for mode in FINETUNE_MODES:
        assert apply_finetune(model, mode) == mode
        assert trainable(model) == expected[mode]


def test_frozen_batchnorm_keeps_its_statistics_in_training_mode(resnet18_file: Path) -> None:
    model = build("resnet18", weights=str(resnet18_file))
    apply_finetune(model, "last_stage")
    model.train()
    assert not model.backbone.bn1.training and not model.backbone.layer3.training
    assert model.backbone.layer4.training and model.head.training
    before = model.backbone.bn1.running_mean.clone()
    model(torch.rand(4, 3, 16, 16))
    assert torch.equal(model.backbone.bn1.running_mean, before)


@pytest.mark.parametrize("kind", ["mobilenetv2", "efficientnet_lite0"])
def test_last_stage_names_exist(kind: str) -> None:
    model = build(kind)
    model.pretrained = True  # as if loaded: random backbones always train whole
    apply_finetune(model, "last_stage")
    for name in FAMILIES[kind].last_stage:
        assert trainable(model.backbone.get_submodule(name))


def test_random_backbones_always_train_whole() -> None:
    model = build("efficientnet_lite0")
    assert apply_finetune(model, "head") == "full"
    assert trainable(model) == {n for n, _ in model.named_parameters()}
    assert apply_finetune(build("imagesig_fc", (4, 3)), "head") is None


def test_weights_file_loads_by_name_from_sigbench_checkpoints(tmp_path: Path) -> None:
    source = build("resnet18")
    path = tmp_path / "run.pt"
    torch.save({"format": "sigbench-checkpoint/1", "state_dict": source.state_dict()}, path)
    loaded = build("resnet18", weights=str(path))
    assert torch.equal(loaded.backbone.conv1.weight, source.backbone.conv1.weight)
    assert not torch.equal(loaded.head[0].weight, source.head[0].weight)  # the head is new


def test_weights_file_loads_by_order_when_names_differ(resnet18_file: Path) -> None:
    tensors = torch.load(resnet18_file)
    renamed = resnet18_file.with_name("renamed.pth")
    torch.save({f"net.{i}": value for i, value in enumerate(tensors.values())}, renamed)
    model = build("resnet18", weights=str(renamed))
    assert torch.equal(model.backbone.layer4[1].conv2.weight, tensors["layer4.1.conv2.weight"])


def test_imagenet_is_found_in_weights_dir(resnet18_file: Path, no_caches: Path) -> None:
    model = build("resnet18", weights="imagenet", weights_dir=resnet18_file.parent)
    expected = torch.load(resnet18_file)["conv1.weight"]
    assert torch.equal(model.backbone.conv1.weight, expected)


def test_missing_imagenet_weights_say_which_file_to_put_where(
    no_caches: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the same answer where the hub is reachable
    with pytest.raises(SigbenchError) as error:
        build("resnet18", weights="imagenet", weights_dir=no_caches / "mine")
    message = str(error.value)
    assert "\n" not in message
    assert "resnet18_a1_0-d63eafa0.pth" in message and "resnet18-f37072fd.pth" in message
    assert str(no_caches / "mine") in message


def test_scratch_models_have_no_imagenet_weights() -> None:
    for kind in ["vit", "simple_cnn", "logistic"]:
        with pytest.raises(SigbenchError, match=f"model.kind = '{kind}' is trained from scratch"):
            build(kind, weights="imagenet")


def test_foreign_weights_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "mobilenet.pth"
    torch.save(timm.create_model("mobilenetv2_100").state_dict(), path)
    with pytest.raises(SigbenchError, match=r"not resnet18 weights \(conv1.weight should be"):
        build("resnet18", weights=str(path))


@pytest.mark.parametrize(
    ("content", "match"),
    [(b"not a checkpoint", "not a readable weights file"), (None, "no such file")],
)
def test_unreadable_weights_files_are_one_line_errors(
    tmp_path: Path, content: bytes | None, match: str
) -> None:
    path = tmp_path / "weights.pth"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SigbenchError, match=match):
        build("resnet18", weights=str(path))


def test_a_file_without_tensors_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.pth"
    torch.save({"lr": 0.1}, path)
    with pytest.raises(SigbenchError, match="holds no state dict"):
        build("logistic", weights=str(path))


# --- downloads (model.weights: imagenet when nothing is on this machine) --------------------


def _download_from(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """The CNNs' ImageNet checkpoint comes from ``url`` only (no Hugging Face repository)."""
    real = cnn.imagenet_files
    monkeypatch.setattr(
        cnn,
        "imagenet_files",
        lambda kind, backbone: replace(real(kind, backbone), urls=(url,), hf_hub_id=None),
    )


def _release_url(tmp_path: Path, source: nn.Module, name: str) -> str:
    """A file:// "release" holding ``source``'s backbone, as the hub would serve it."""
    served = tmp_path / "release" / name
    served.parent.mkdir(parents=True, exist_ok=True)
    torch.save(source.backbone.state_dict(), served)
    return served.as_uri()


def test_imagenet_downloads_into_torch_homes_checkpoints_and_records_the_file(
    tmp_path: Path, no_caches: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing on disk and the hub answers: torch hub's downloader fetches the release file
    into TORCH_HOME/hub/checkpoints (a file:// URL stands in for the hub here)."""
    source = build("resnet18")
    _download_from(monkeypatch, _release_url(tmp_path, source, "resnet18-f37072fd.pth"))
    model = build("resnet18", weights="imagenet")
    cached = no_caches / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    assert cached.is_file()
    assert torch.equal(model.backbone.conv1.weight, source.backbone.conv1.weight)
    recorded = loaded_weights(model)
    assert recorded is not None and recorded.path == cached.resolve()
    assert recorded.sha256 == hashlib.sha256(cached.read_bytes()).hexdigest()
    again = build("resnet18", weights="imagenet")  # now found in the cache, not downloaded
    assert loaded_weights(again) == recorded
    assert loaded_weights(build("resnet18")) is None  # weights: none loads no file


def test_hf_hub_offline_downloads_nothing(
    tmp_path: Path, no_caches: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _download_from(monkeypatch, _release_url(tmp_path, build("resnet18"), "resnet18-x.pth"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SigbenchError, match=r"none downloaded \(HF_HUB_OFFLINE is set\)"):
        build("resnet18", weights="imagenet")
    assert not (no_caches / "torch" / "hub" / "checkpoints").exists()


def test_an_unreachable_hub_is_the_one_line_error_with_the_places_looked(
    no_caches: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = (no_caches / "nowhere" / "resnet18-f37072fd.pth").as_uri()
    _download_from(monkeypatch, gone)
    with pytest.raises(SigbenchError) as error:
        build("resnet18", weights="imagenet", weights_dir=no_caches / "mine")
    message = str(error.value)
    assert "\n" not in message and f"none downloaded ({gone}: " in message
    assert str(no_caches / "mine") in message and str(no_caches / "torch") in message
    assert "Hugging Face cache" in message
