"""``familyphoto train-detector``: a one-class (face) Faster R-CNN R50-FPN, written as a detector directory.

Nothing pretrained can be downloaded here, so the backbone starts from random weights: on
a CPU a short run only proves the path end to end (see the README's "Models" section for
what longer runs reach). With ``--device cuda`` the same code trains on a GPU.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import torch

from inference.manifest import write_atomic
from inference.models.frcnn import DEFAULT_SCORE_THRESHOLD, DetectorManifest, build_frcnn
from training.detection.convert import DEFAULT_VAL_SHARE, Coco, convert, split_subset
from training.detection.data import CocoFaces, collate

Progress = Callable[[str, int, int], None]
WEIGHTS_FILE = "detector.pt"


@dataclass(frozen=True)
class DetectorTraining:
    """Choices of one detector training run (the CLI's options)."""

    backend: Literal["torchvision", "detectron2"] = "torchvision"
    epochs: int = 1
    max_iterations: int | None = None  # stop early (short CPU runs, tests)
    max_minutes: float | None = None  # stop after this much training time
    batch_size: int = 2
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    warmup_iterations: int = 100
    min_size: int = 320
    max_size: int = 512
    device: str = "cpu"
    val_share: float = DEFAULT_VAL_SHARE
    score_threshold: float = DEFAULT_SCORE_THRESHOLD
    seed: int = 0


@dataclass
class DetectorTrainReport:
    manifest: DetectorManifest
    iterations: int
    losses: list[float]
    seconds: float


def export_detector(out_dir: Path, state_dict: dict, config: DetectorTraining, training: dict) -> DetectorManifest:
    """Write the weights, then ``detector.json`` (last, atomically) with their checksum."""
    import io

    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    data = buffer.getvalue()
    write_atomic(out_dir / WEIGHTS_FILE, data)
    manifest = DetectorManifest(
        backend=config.backend, weights_file=WEIGHTS_FILE, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data),
        min_size=config.min_size, max_size=config.max_size, score_threshold=config.score_threshold,
        created=datetime.now(timezone.utc), training=training,
    )
    manifest.write(out_dir)
    return manifest


def train_detector(
    dataset: Path, out_dir: Path, config: DetectorTraining = DetectorTraining(), progress: Progress = lambda *a: None
) -> DetectorTrainReport:
    """Train on ``dataset``'s train split (COCO json, VOC folder or imglab XML) and export to ``out_dir``."""
    coco = convert(dataset, val_share=config.val_share)
    train = split_subset(coco, "train", val_share=config.val_share)
    if not train["images"]:
        raise ValueError(f"{dataset} has no training images")
    if config.backend == "detectron2":
        from training.detection.train_detectron2 import train_detectron2

        return train_detectron2(dataset, train, out_dir, config, progress)
    return _train_torchvision(dataset, train, out_dir, config, progress)


def _lr_factor(iteration: int, warmup: int) -> float:
    return min(1.0, 0.1 + 0.9 * iteration / warmup) if warmup else 1.0


def _train_torchvision(
    source: Path, train: Coco, out_dir: Path, config: DetectorTraining, progress: Progress
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
    progress("detector", 0, total)
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
            progress("detector", iteration, total)
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
