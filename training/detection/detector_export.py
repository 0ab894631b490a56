"""A trained detector's run settings, report and directory (``detector.json`` beside the weights),
shared by both Faster R-CNN backends."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import torch

from inference.manifest import write_atomic
from inference.models.frcnn import DEFAULT_SCORE_THRESHOLD, DetectorManifest
from training.detection.convert import DEFAULT_VAL_SHARE

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
