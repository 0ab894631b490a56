"""Faster R-CNN face detectors (the original project's detector), trained with ``familyphoto train-detector``.

A trained detector is a directory: ``detector.json`` (:class:`DetectorManifest`: backend,
input sizes, score threshold, checksum, how it was trained and evaluated) beside its
weights (a state dict, loaded with ``weights_only=True``). Two backends share that format:
torchvision's ``fasterrcnn_resnet50_fpn`` (here) and Detectron2's ``faster_rcnn_R_50_FPN``
(:mod:`inference.models.detectron2_detector`, optional).

Scores are class probabilities in [0, 1], not HOG's SVM margins: these detectors use their
own threshold (``detector.json``'s ``score_threshold``, or ``FAMILYPHOTO_DETECTOR_MIN_SCORE``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, Field
from torchvision.models.detection import FasterRCNN, fasterrcnn_resnet50_fpn

from inference.manifest import sha256_file
from inference.models.detector import FaceDetector
from inference.types import Box, Detection

DETECTOR_MANIFEST = "detector.json"
DEFAULT_SCORE_THRESHOLD = 0.5


class DetectorManifest(BaseModel):
    """``detector.json``: what a trained detector directory holds."""

    backend: Literal["torchvision", "detectron2"]
    architecture: str = "faster_rcnn_R_50_FPN"
    weights_file: str
    sha256: str
    bytes: int
    min_size: int = Field(description="Shorter side the photo is resized to (capped by max_size).")
    max_size: int
    score_threshold: float = Field(DEFAULT_SCORE_THRESHOLD, description="Detections below this probability are dropped.")
    classes: list[str] = ["face"]
    created: datetime
    training: dict[str, Any] = Field(default_factory=dict)
    evaluation: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def read(cls, directory: Path) -> "DetectorManifest":
        path = Path(directory) / DETECTOR_MANIFEST
        if not path.is_file():
            raise FileNotFoundError(f"no trained detector in {directory} (no {DETECTOR_MANIFEST}); run familyphoto train-detector")
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    def write(self, directory: Path) -> None:
        from inference.manifest import write_atomic

        write_atomic(Path(directory) / DETECTOR_MANIFEST, self.model_dump_json(indent=2).encode("utf-8"))

    def weights_path(self, directory: Path, *, verify: bool = True) -> Path:
        """The weights file, checked against its checksum."""
        path = Path(directory) / self.weights_file
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing")
        if verify and sha256_file(path) != self.sha256:
            raise ValueError(f"{path} does not match its checksum in {DETECTOR_MANIFEST} (damaged or replaced)")
        return path


def build_frcnn(min_size: int, max_size: int, *, score_thresh: float = 0.05) -> FasterRCNN:
    """torchvision's Faster R-CNN R50-FPN with two classes (background, face), randomly initialised.

    ``weights=None, weights_backbone=None``: nothing is downloaded; with no pretrained
    backbone every layer trains and batch norm is not frozen.
    """
    return fasterrcnn_resnet50_fpn(
        weights=None, weights_backbone=None, num_classes=2, min_size=min_size, max_size=max_size,
        box_score_thresh=score_thresh, box_detections_per_img=100,
    )


def pixels_to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """H x W x 3 uint8 RGB -> 3 x H x W float in [0, 1] (the model normalises itself)."""
    return torch.from_numpy(np.array(pixels, dtype=np.uint8, copy=True)).permute(2, 0, 1).float().div_(255.0)


class FrcnnDetector(FaceDetector):
    """Faster R-CNN (torchvision) from a ``train-detector`` directory."""

    name = "frcnn"
    backend = "torchvision"

    def __init__(
        self, weights: Path, *, detect_size: int | None, max_upscale: float | None, min_score: float | None = None, device: str = "cpu"
    ) -> None:
        super().__init__(detect_size, max_upscale, DEFAULT_SCORE_THRESHOLD if min_score is None else min_score)
        self.weights = Path(weights)
        self._explicit_min_score = min_score
        self.device = device
        self.manifest = DetectorManifest.read(self.weights)
        if self.manifest.backend != self.backend:
            raise ValueError(f"{self.weights} holds a {self.manifest.backend} detector, not {self.backend}")

    def _load(self) -> None:
        m = self.manifest
        if self._explicit_min_score is None:
            self.min_score = m.score_threshold
        # The model resizes to min_size/max_size itself: no point enlarging beyond that first.
        self.detect_size = min(self.detect_size, m.max_size)
        self._build(m.weights_path(self.weights))

    def _build(self, path: Path) -> None:
        model = build_frcnn(self.manifest.min_size, self.manifest.max_size)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        self.model = model.to(self.device).eval()

    def _detect_scaled(self, pixels: np.ndarray) -> list[Detection]:
        with torch.inference_mode():
            out = self.model([pixels_to_tensor(pixels).to(self.device)])[0]
        boxes, scores = out["boxes"].cpu().numpy(), out["scores"].cpu().numpy()
        return [Detection(Box(*(int(round(v)) for v in b)), float(s)) for b, s in zip(boxes, scores)]

    def describe(self) -> dict:
        m = self.manifest
        return {
            "name": self.name, "backend": m.backend, "model": m.architecture, "weights": str(self.weights.resolve()),
            "sha256": m.sha256, "min_size": m.min_size, "max_size": m.max_size, "score_threshold": self.min_score,
        }
