"""``familyphoto train-detector``: a one-class (face) Faster R-CNN R50-FPN, written as a detector directory.

Nothing pretrained can be downloaded here, so the backbone starts from random weights: on
a CPU a short run only proves the path end to end (see docs/models.md for
what longer runs reach). With ``--device cuda`` the same code trains on a GPU.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from pathlib import Path

import torch

from inference.models.frcnn import build_frcnn
from inference.progress import OnProgress, Progress, no_progress
from training.detection.convert import Coco, convert, split_subset
from training.detection.data import CocoFaces, collate
from training.detection.detector_export import DetectorTraining, DetectorTrainReport, export_detector


def train_detector(
    dataset: Path, out_dir: Path, config: DetectorTraining = DetectorTraining(), on_progress: OnProgress = no_progress,
    *, images: Path | None = None,
) -> DetectorTrainReport:
    """Train on ``dataset``'s train split (COCO json, VOC folder or imglab XML; ``images``: the
    folder a COCO json's relative image names are in) and export to ``out_dir``."""
    coco = convert(dataset, val_share=config.val_share, images=images)
    train = split_subset(coco, "train", val_share=config.val_share)
    if not train["images"]:
        raise ValueError(f"{dataset} has no training images")
    if config.backend == "detectron2":
        from training.detection.train_detectron2 import train_detectron2

        return train_detectron2(dataset, train, out_dir, config, on_progress)
    return _train_torchvision(dataset, train, out_dir, config, on_progress)


def _lr_factor(iteration: int, warmup: int) -> float:
    return min(1.0, 0.1 + 0.9 * iteration / warmup) if warmup else 1.0


def _train_torchvision(
    source: Path, train: Coco, out_dir: Path, config: DetectorTraining, on_progress: OnProgress
) -> DetectorTrainReport:
    torch.manual_seed(config.seed)
    device = torch.device(config.device)
    model = build_frcnn(config.min_size, config.max_size).to(device)
    data = CocoFaces(train, max_side=config.max_size, flip=True, seed=config.seed)
    loader = torch.utils.data.DataLoader(
        data, batch_size=config.batch_size, shuffle=True, collate_fn=collate,
        generator=torch.Generator().manual_seed(config.seed),
    )
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: _lr_factor(i, config.warmup_iterations))
    total = config.epochs * len(loader)
    if config.max_iterations is not None:
        total = min(total, config.max_iterations)
    started = time.perf_counter()
    losses: list[float] = []
    iteration = 0
    stopped = "epochs done"
    model.train()
    on_progress(Progress("detector", 0, total))
    for _epoch in range(config.epochs):
        for images, targets in loader:
            images = [im.to(device) for im in images]
            targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
            loss = sum(model(images, targets).values())
            if not math.isfinite(loss.item()):
                raise FloatingPointError(f"the loss diverged at iteration {iteration + 1}; try a lower --lr")
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 10.0)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            iteration += 1
            on_progress(Progress("detector", iteration, total))
            if iteration >= total:
                break
            if config.max_minutes is not None and time.perf_counter() - started > config.max_minutes * 60:
                stopped = f"time limit ({config.max_minutes} min)"
                break
        if iteration >= total or stopped != "epochs done":
            break
    if iteration >= total and config.max_iterations is not None and total < config.epochs * len(loader):
        stopped = f"iteration limit ({config.max_iterations})"
    seconds = time.perf_counter() - started
    model.eval()
    tail = losses[-20:]
    training = {
        "dataset": str(source), "train_images": len(data), "train_boxes": sum(len(b) for b in data.boxes.values()),
        "iterations": iteration, "epochs_planned": config.epochs, "stopped": stopped,
        "loss": {"first": round(losses[0], 4), "last_20_mean": round(sum(tail) / len(tail), 4)} if losses else {},
        "seconds": round(seconds, 1), "device": config.device, "pretrained_backbone": False,
        "config": asdict(config),
    }
    state = {k: v.cpu() for k, v in model.state_dict().items()}
    manifest = export_detector(out_dir, state, config, training)
    return DetectorTrainReport(manifest, iteration, losses, seconds)
