"""Losses the paper trains with: cross-entropy or focal loss, with per-class weights; and
binary cross-entropy for multi-label tasks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sigbench.errors import SigbenchError


class FocalLoss(nn.Module):
    """Focal loss (Lin et al. 2017): down-weights easy examples by (1 - p_t) ** gamma.

    ``alpha`` holds one weight per class (the paper's Table 1 column); the loss is the mean
    over the batch of alpha_y * (1 - p_y) ** gamma * -log p_y, with optional label smoothing.
    """

    def __init__(
        self, gamma: float = 2.0, alpha: torch.Tensor | None = None, label_smoothing: float = 0.0
    ) -> None:
        super().__init__()
        self.gamma, self.label_smoothing = gamma, label_smoothing
        self.register_buffer("alpha", alpha if alpha is not None else torch.empty(0))

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        log_probs = logits.log_softmax(dim=-1)
        per_class = -log_probs * (1 - log_probs.exp()) ** self.gamma
        classes = logits.shape[-1]
        smooth = F.one_hot(target, classes).float() * (1 - self.label_smoothing)
        smooth += self.label_smoothing / classes
        loss = (smooth * per_class).sum(dim=-1)
        if self.alpha.numel():
            loss = loss * self.alpha[target]
        return loss.mean()


class MultiLabelLoss(nn.Module):
    """Binary cross-entropy per attribute, averaged over images and attributes.

    ``pos_weight`` (one per attribute) scales the loss of images that have the attribute,
    as torch's ``BCEWithLogitsLoss`` does; label smoothing moves each 0/1 target
    ``label_smoothing / 2`` towards the other value.
    """

    def __init__(
        self, pos_weight: torch.Tensor | None = None, label_smoothing: float = 0.0
    ) -> None:
        super().__init__()
        self.label_smoothing = label_smoothing
        self.register_buffer("pos_weight", pos_weight if pos_weight is not None else torch.empty(0))

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        target = target.float() * (1 - self.label_smoothing) + self.label_smoothing / 2
        weight = self.pos_weight if self.pos_weight.numel() else None
        return F.binary_cross_entropy_with_logits(logits, target, pos_weight=weight)


def make_loss(
    name: str,
    *,
    gamma: float,
    class_weights: torch.Tensor | None,
    label_smoothing: float,
    multilabel: bool = False,
) -> nn.Module:
    """``ce`` is the focal loss at gamma 0, so class weights scale each sample's loss and the
    batch is averaged over its size (as Keras' class_weight does), for both losses alike.

    A multi-label task trains with binary cross-entropy; ``class_weights`` are then its
    per-attribute positive weights.
    """
    if multilabel:
        if name == "focal":
            raise SigbenchError(
                "train.loss = 'focal' is for single-label tasks; a multi-label task trains "
                "with binary cross-entropy (train.loss: ce)"
            )
        return MultiLabelLoss(class_weights, label_smoothing)
    return FocalLoss(gamma if name == "focal" else 0.0, class_weights, label_smoothing)
