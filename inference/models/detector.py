"""The face detector interface: a photo's pixels in, face boxes and scores out (torchvision's plain contract).

The detectors themselves: :mod:`inference.models.dlib_detectors` (hog, cnn), :mod:`inference.models.frcnn`
and :mod:`inference.models.detectron2_detector`; :mod:`inference.registry` names them.
"""

from __future__ import annotations

import threading
from abc import abstractmethod

import numpy as np
from PIL import Image

from inference.models.base import InferenceModel
from inference.types import Box, Detection


class FaceDetector(InferenceModel):
    """Finds faces on a copy of the photo scaled to ``detect_size`` (long side).

    Small photos are enlarged (up to ``max_upscale``) so that small faces reach the
    detector's minimum window; large ones are reduced. Boxes come back in the
    coordinates of the pixels given.
    """

    def __init__(self, detect_size: int, max_upscale: float, min_score: float) -> None:
        super().__init__()
        self.detect_size = detect_size
        self.max_upscale = max_upscale
        self.min_score = min_score
        self._run_lock = threading.Lock()  # dlib objects are not documented as thread-safe

    def detect(self, pixels: np.ndarray) -> list[Detection]:
        """Faces in an H x W x 3 uint8 RGB array, largest first."""
        self.load()
        height, width = pixels.shape[:2]
        factor = min(self.detect_size / max(height, width), self.max_upscale)
        scaled = pixels
        if abs(factor - 1.0) > 0.02:
            size = (max(1, round(width * factor)), max(1, round(height * factor)))
            scaled = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))
        else:
            factor = 1.0
        with self._run_lock:
            raw = self._detect_scaled(scaled)
        detections = [
            Detection(box=box.scaled(1.0 / factor).clipped(width, height), score=score)
            for box, score in raw
            if score >= self.min_score
        ]
        detections = [d for d in detections if d.box.area > 0]
        return sorted(detections, key=lambda d: d.box.area, reverse=True)

    @abstractmethod
    def _detect_scaled(self, pixels: np.ndarray) -> list[tuple[Box, float]]: ...
