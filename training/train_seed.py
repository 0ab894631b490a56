"""``familyphoto train --recipe seed``: the original project's classifier, trained as it was.

torchvision ResNet18 (randomly initialised: no pretrained weights can be downloaded) on
30x30 aligned face crops, one output per member, ``BCEWithLogitsLoss``, SGD lr 0.001
(momentum 0.9), batch 10, epochs until the validation loss stops improving (early
stopping; the best epoch's weights are kept). Faces come from the same detection,
largest-face and outlier rules as the default recipe, so both see the same faces.

Thresholds come from :func:`training.calibrate.calibrate_member`, like the default
recipe's: per member, the lowest threshold whose false-accept rate on the held-out faces
of the other members (and any ``--strangers``) is at most the target, never below 0.5.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from torch import nn

from inference.manifest import Manifest
from inference.models.seed_classifier import (
    SeedClassifier,
    build_seed_net,
    crops_from_chips,
    crops_to_tensor,
    save_seed,
)
from inference.progress import OnProgress, Progress, no_progress
from inference.settings import Settings
from training.calibrate import Calibration, calibrate_member
from training.config import SeedTraining, TrainConfig, TrainReport
from training.dataset import FaceDataset, filter_outliers, holdout_split
from training.export import embedder_scale, export_family, models_record
from training.metrics import decide_single_faces, per_member_figures

RECIPE = "seed"
SEED_FLOOR = 0.5  # a sigmoid output's own decision point: no threshold is looser


@dataclass
class SeedFit:
    """A trained net and how its training went."""

    net: nn.Module
    train_losses: list[float]
    val_losses: list[float]
    best_epoch: int
    stopped_early: bool


# --- training ----------------------------------------------------------------------------


def _augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and shifts of up to 2 px (the crops are tiny; so is the data)."""
    flip = torch.rand(len(x), generator=generator) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    padded = nn.functional.pad(x, (2, 2, 2, 2), mode="replicate")
    dx, dy = torch.randint(0, 5, (2,), generator=generator).tolist()
    return padded[:, :, dy : dy + x.shape[2], dx : dx + x.shape[3]]


def _precise_batch_norm(net: nn.Module, x: torch.Tensor, batch_size: int) -> None:
    """Batch-norm statistics recomputed over the whole training set (no augmentation).

    From scratch, the running averages lag far behind the weights after a few dozen
    steps, so an evaluation in ``eval()`` mode would score a different net (validation
    losses of 30+ measured); exact averages make the validation loss mean something.
    """
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the passes below
    net.train()
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            net(x[start : start + batch_size])
    for m in norms:
        m.momentum = 0.1


def _loss(net: nn.Module, x: torch.Tensor, y: torch.Tensor, criterion: nn.Module) -> float:
    net.eval()
    with torch.inference_mode():
        return float(criterion(net(x), y).item()) if len(x) else float("nan")


def train_seed_net(
    crops: np.ndarray,
    labels: np.ndarray,
    val_crops: np.ndarray,
    val_labels: np.ndarray,
    num_members: int,
    config: SeedTraining = SeedTraining(),
    on_progress: OnProgress = no_progress,
) -> SeedFit:
    """SGD on the training crops; stop when the validation loss has not improved for ``patience`` epochs."""
    threads = torch.get_num_threads()
    # Batches of ten 30x30 crops: one thread is several times faster than many on a busy machine (measured).
    torch.set_num_threads(1)
    try:
        return _train_seed_net(crops, labels, val_crops, val_labels, num_members, config, on_progress)
    finally:
        torch.set_num_threads(threads)


def _train_seed_net(
    crops: np.ndarray,
    labels: np.ndarray,
    val_crops: np.ndarray,
    val_labels: np.ndarray,
    num_members: int,
    config: SeedTraining,
    on_progress: OnProgress,
) -> SeedFit:
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    net = build_seed_net(num_members)
    x, y = crops_to_tensor(crops), nn.functional.one_hot(torch.from_numpy(labels), num_members).float()
    xv = crops_to_tensor(val_crops)
    yv = nn.functional.one_hot(torch.from_numpy(val_labels), num_members).float()
    criterion = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum)
    has_val = len(xv) > 0
    epochs = config.max_epochs if has_val else config.epochs_without_validation
    best, best_state, best_epoch, stale = float("inf"), copy.deepcopy(net.state_dict()), 0, 0
    train_losses: list[float] = []
    val_losses: list[float] = []
    stopped_early = False
    for epoch in range(1, epochs + 1):
        net.train()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), config.batch_size):
            batch = order[start : start + config.batch_size]
            if len(batch) < 2:  # batch norm needs two samples
                continue
            optimizer.zero_grad()
            loss = criterion(net(_augment(x[batch], generator)), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        train_losses.append(total / len(x))
        _precise_batch_norm(net, x, config.batch_size)
        on_progress(Progress("train", epoch, epochs))
        if not has_val:
            best_state, best_epoch = copy.deepcopy(net.state_dict()), epoch
            continue
        val_losses.append(_loss(net, xv, yv, criterion))
        if val_losses[-1] < best - 1e-4:
            best, best_state, best_epoch, stale = val_losses[-1], copy.deepcopy(net.state_dict()), epoch, 0
        else:
            stale += 1
            if stale >= config.patience:
                stopped_early = True
                on_progress(Progress("train", epochs, epochs))
                break
    net.load_state_dict(best_state)
    net.eval()
    return SeedFit(net, train_losses, val_losses, best_epoch, stopped_early)


def seed_probabilities(net: nn.Module, crops: np.ndarray, num_members: int) -> np.ndarray:
    """N x M sigmoid outputs for N crops."""
    if len(crops) == 0:
        return np.zeros((0, num_members), dtype=np.float32)
    net.eval()
    with torch.inference_mode():
        return torch.sigmoid(net(crops_to_tensor(crops))).numpy()


def calibrate_seed(
    val_probs: np.ndarray, val_labels: np.ndarray, stranger_probs: np.ndarray, *, target_far: float
) -> list[Calibration]:
    """Per member: genuine = its held-out faces, impostors = the others' held-out faces and the strangers."""
    result = []
    for m in range(val_probs.shape[1]):
        genuine = val_probs[val_labels == m, m]
        impostor = np.concatenate([val_probs[val_labels != m, m], stranger_probs[:, m]])
        result.append(calibrate_member(genuine, impostor, target_far=target_far, floor=SEED_FLOOR))
    return result


# --- the whole run -----------------------------------------------------------------------


def train_seed_from_dataset(
    dataset: FaceDataset,
    stranger_chips: np.ndarray | None,
    out_dir: Path,
    settings: Settings,
    config: TrainConfig,
    *,
    on_progress: OnProgress = no_progress,
    source: str = "",
) -> TrainReport:
    """Filter, hold out, train, calibrate and export a ``seed`` family from faces with their chips."""
    started = time.perf_counter()
    assert dataset.chips is not None, "the seed recipe needs each face's aligned chip"
    members = dataset.members
    match, unrelated = embedder_scale(settings, config.detector)
    dataset = filter_outliers(dataset, match=match, unrelated=unrelated)
    crops = crops_from_chips(dataset.chips)
    stranger_crops = crops_from_chips(stranger_chips if stranger_chips is not None else np.zeros((0, 150, 150, 3), np.uint8))

    train_idx, val_idx = holdout_split(dataset.labels, config.val_share, config.seed)
    fit = train_seed_net(
        crops[train_idx], dataset.labels[train_idx], crops[val_idx], dataset.labels[val_idx], len(members),
        config.seed_training, on_progress,
    )
    on_progress(Progress("validate", 0, 1))
    val_probs = seed_probabilities(fit.net, crops[val_idx], len(members))
    stranger_probs = seed_probabilities(fit.net, stranger_crops, len(members))
    calibrations = calibrate_seed(val_probs, dataset.labels[val_idx], stranger_probs, target_far=config.target_far)
    thresholds = np.asarray([c.threshold for c in calibrations])
    validation = per_member_figures(decide_single_faces(val_probs, thresholds), dataset.labels[val_idx], members)
    on_progress(Progress("validate", 1, 1))

    counts = dataset.counts()
    seconds = time.perf_counter() - started
    record = models_record(settings, config.detector)
    record["models"]["classifier"] = SeedClassifier(Path(), members).describe()
    fields = {
        "created": datetime.now(timezone.utc),
        "members": members,
        "thresholds": {m: c.threshold for m, c in zip(members, calibrations)},
        "recipe": RECIPE,
        **record,
        "calibration": {
            "method": "held-out faces of each member as genuine; other members' held-out faces and stranger "
            "faces as impostors; never below 0.5",
            "target_false_accept_rate": config.target_far,
            "stranger_faces": int(len(stranger_crops)),
            "members": {m: {"enrolled_faces": counts[m], **c.as_dict()} for m, c in zip(members, calibrations)},
        },
        "training": {
            "source": source,
            "faces_per_member": counts,
            "photos_dropped": [{"file": str(p), "reason": r} for p, r in dataset.dropped],
            "validation_share": config.val_share,
            "validation_faces": int(len(val_idx)),
            "validation": validation,
            "hyper_parameters": asdict(config.seed_training),
            "epochs": len(fit.train_losses),
            "best_epoch": fit.best_epoch,
            "early_stopping": fit.stopped_early,
            "loss": {
                "train_first": round(fit.train_losses[0], 5), "train_last": round(fit.train_losses[-1], 5),
                "val_best": round(min(fit.val_losses), 5) if fit.val_losses else None,
            },
            "seconds": round(seconds, 1),
            "seed": config.seed,
        },
    }
    on_progress(Progress("export", 0, 1))
    manifest: Manifest = export_family(
        out_dir, save_seed(fit.net, len(members)), fields,
        description="Member classifier (seed recipe): torchvision ResNet18 state dict, one output per member, "
        "on 30x30 aligned face crops.",
    )
    on_progress(Progress("export", 1, 1))
    notes = {"epochs": len(fit.train_losses), "best_epoch": fit.best_epoch, "early_stopping": fit.stopped_early}
    return TrainReport(
        dataset, int(len(stranger_crops)), [], validation,
        dict(zip(members, calibrations)), manifest, time.perf_counter() - started, notes,
    )
