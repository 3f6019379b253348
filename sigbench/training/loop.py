"""The training loop: mini-batch epochs, validation, best-model keeping, early stopping."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from sigbench.config import TrainConfig
from sigbench.errors import percent
from sigbench.progress import SILENT, Progress
from sigbench.training.device import autocast, grad_scaler, resolve_device
from sigbench.training.inputs import ModelInputs, on_device
from sigbench.training.losses import make_loss
from sigbench.training.metrics import binary_error_rates

log = logging.getLogger(__name__)

PREDICT_BATCH = 1024

# Called with each epoch's history row once it is complete (a search reports and prunes on
# it); whatever it raises stops training and propagates to the caller.
EpochCallback = Callable[[dict[str, float]], None]


@dataclass
class FitResult:
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    optimizer_state: dict = field(default_factory=dict)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


@torch.no_grad()  # on a generator: grad is off while each batch is computed
def _logits(
    model: nn.Module, inputs: ModelInputs, device: str | torch.device, batch_size: int
) -> Iterator[torch.Tensor]:
    """The model's logits for every input, in order, ``batch_size`` at a time (eval mode,
    the model moved to ``device``)."""
    model.eval().to(device)
    for start in range(0, len(inputs), batch_size):
        indices = np.arange(start, min(start + batch_size, len(inputs)))
        yield model(inputs.take(indices, train=False).to(device))


def probabilities(logits: torch.Tensor, multilabel: bool) -> torch.Tensor:
    """Class probabilities (softmax), or one probability per attribute (sigmoid)."""
    return logits.sigmoid() if multilabel else logits.softmax(dim=-1)


def predict_proba(
    model: nn.Module,
    inputs: ModelInputs,
    *,
    device: str | torch.device = "cpu",
    batch_size: int = PREDICT_BATCH,
    multilabel: bool = False,
) -> np.ndarray:
    """Class probabilities (N, K) for every input, in order; with ``multilabel`` each
    attribute's probability on its own."""
    chunks = [
        probabilities(logits, multilabel).cpu().numpy()
        for logits in _logits(model, inputs, device, batch_size)
    ]
    return np.concatenate(chunks) if chunks else np.empty((0, 0), dtype=np.float32)


def _targets(labels: np.ndarray) -> torch.Tensor:
    """Class indices (long) for the loss, or 0/1 attribute values (float) for multi-label."""
    labels = np.asarray(labels)
    return torch.as_tensor(labels, dtype=torch.float32 if labels.ndim == 2 else torch.long)


def _correct(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Images right (argmax), or for multi-label the share of an image's attributes right
    (logit above 0, probability above 0.5), summed over the batch: a tensor on the logits'
    device, so the training loop adds it up there without waiting for the GPU."""
    if target.ndim == 2:
        return ((logits > 0) == (target > 0.5)).float().mean(dim=1).sum()
    return (logits.argmax(dim=-1) == target).sum()


def validation_scores(
    model: nn.Module,
    inputs: ModelInputs,
    labels: np.ndarray,
    criterion: nn.Module,
    *,
    device: str | torch.device = "cpu",
    batch_size: int = PREDICT_BATCH,
) -> dict[str, float]:
    """``val_loss`` with the training criterion (its class weights, focal term and label
    smoothing), averaged over the whole split as training averages a batch, and ``val_acc``
    (on a multi-label task the mean over attributes of their accuracy at 0.5).

    The same criterion on both sides, so ``monitor: val_loss`` compares like with like.
    """
    logits = torch.cat(list(_logits(model, inputs, device, batch_size)))
    target = _targets(labels)
    with torch.no_grad():
        loss = float(criterion(logits, target.to(device)))
    scores = {"val_loss": loss, "val_acc": float(_correct(logits.cpu(), target)) / len(target)}
    if target.ndim == 2:  # multi-label: val_acc is the mean accuracy over attributes
        return scores
    proba = logits.softmax(dim=-1).cpu().numpy()
    predicted = proba.argmax(axis=1)
    if proba.shape[1] == 2:  # at the argmax threshold: what a search can rank epochs by
        scores["val_hter"] = binary_error_rates(target.numpy(), predicted)["hter"]
    return scores


def _batch_size(config: TrainConfig, n_train: int) -> int:
    if config.batch_size > n_train:
        # Worded without the batch size, so a sweep over batch sizes says it once.
        log.warning(
            "train.batch_size is larger than the %d training samples: each epoch is one "
            "full batch (every batch size from %d up trains the same model)",
            n_train,
            n_train,
        )
        return n_train
    return config.batch_size


def _is_better(score: float, best: float | None, monitor: str) -> bool:
    if best is None:
        return True
    return score < best if monitor == "val_loss" else score > best


def _batches(
    inputs: ModelInputs,
    labels: torch.Tensor,
    order: np.ndarray,
    batch_size: int,
    device: torch.device,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch's training batches on ``device``, one batch ahead: batch i+1 is gathered
    (and on a GPU its copy from pinned memory started) before batch i is handed out, so the
    host prepares the next batch while the device computes."""
    pinned = device.type == "cuda"

    def load(indices: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = inputs.take(indices, train=True), labels[indices]
        if pinned and not x.is_cuda:
            x = x.pin_memory()
        return x.to(device, non_blocking=pinned), y.to(device, non_blocking=pinned)

    pending = None
    for start in range(0, len(order), batch_size):
        # Sorted reads keep a memory-mapped feature file's access sequential.
        loaded = load(np.sort(order[start : start + batch_size]))
        if pending is not None:
            yield pending
        pending = loaded
    if pending is not None:
        yield pending


def fit(
    model: nn.Module,
    train_inputs: ModelInputs,
    train_labels: np.ndarray,
    val_inputs: ModelInputs | None,
    val_labels: np.ndarray | None,
    config: TrainConfig,
    *,
    seed: int = 0,
    class_weights: np.ndarray | None = None,
    progress: Progress = SILENT,
    on_epoch: EpochCallback | None = None,
    device: torch.device | None = None,
) -> FitResult:
    """Train ``model`` in place and leave it holding the weights of its best validation epoch.

    Without a validation set the last epoch's weights are kept. ``on_epoch`` sees each
    epoch's row (with ``val_hter`` at the argmax threshold on two-class tasks).
    0/1 (N, K) labels make it a multi-label task: binary cross-entropy, with
    ``class_weights`` as per-attribute positive weights, and accuracies averaged over
    attributes. ``device`` defaults to ``config.device`` resolved; the loop reads the
    loss back once per epoch, not per step, so a GPU is never kept waiting.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    device = resolve_device(config.device) if device is None else device
    model.to(device)
    weights = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)
    criterion = make_loss(
        config.loss,
        gamma=config.focal_gamma,
        class_weights=weights,
        label_smoothing=config.label_smoothing,
        multilabel=np.ndim(train_labels) == 2,
    ).to(device)
    optimizer = make_optimizer(model, config)
    scaler = grad_scaler(device, config.precision)
    labels = _targets(train_labels)
    train_inputs = on_device(train_inputs, device)
    if device.type == "cuda":
        labels = labels.to(device)
    n_train = len(train_inputs)
    batch_size = _batch_size(config, n_train)
    has_val = val_inputs is not None and val_labels is not None and len(val_inputs) > 0
    if has_val:
        val_inputs = on_device(val_inputs, device)

    result = FitResult()
    best_score: float | None = None
    best_state = copy.deepcopy(model.state_dict())
    stale_epochs = 0
    started = time.perf_counter()
    with progress.task("training", total=config.epochs) as task:
        for epoch in range(1, config.epochs + 1):
            model.train()
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), device=device)
            for x, y in _batches(
                train_inputs, labels, rng.permutation(n_train), batch_size, device
            ):
                optimizer.zero_grad(set_to_none=True)
                with autocast(device, config.precision):
                    logits = model(x)
                    loss = criterion(logits.float(), y)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                loss_sum += loss.detach() * len(y)
                correct += _correct(logits.detach(), y)
            row = {
                "epoch": epoch,
                "train_loss": float(loss_sum) / n_train,
                "train_acc": float(correct) / n_train,
            }
            if has_val:
                row.update(
                    validation_scores(model, val_inputs, val_labels, criterion, device=device)
                )
            row["seconds"] = time.perf_counter() - started
            result.history.append(row)

            score = row.get(config.monitor)
            if score is None or _is_better(score, best_score, config.monitor):
                best_score, result.best_epoch, stale_epochs = score, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                stale_epochs += 1
            summary = f"epoch {epoch}/{config.epochs} loss {row['train_loss']:.4f}"
            if has_val:
                summary += f" val_acc {percent(row['val_acc'])}%"
            task.update(description=summary)
            task.advance()
            if on_epoch is not None:
                on_epoch(row)
            if config.patience is not None and stale_epochs >= config.patience:
                log.info("early stopping after epoch %d (best: %d)", epoch, result.best_epoch)
                break
    model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - started
    result.optimizer_state = optimizer.state_dict()
    return result
