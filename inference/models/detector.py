"""The face detector interface: a photo's pixels in, face boxes and scores out (torchvision's plain contract).

The detectors themselves: :mod:`inference.models.dlib_detectors` (hog, cnn), :mod:`inference.models.yunet`, :mod:`inference.models.frcnn`
and :mod:`inference.models.detectron2_detector`; :mod:`inference.registry` names them.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from typing import ClassVar

import numpy as np
from PIL import Image

from inference.models.base import InferenceModel
from inference.types import Detection


class FaceDetector(InferenceModel):
    """Finds faces on a copy of the photo scaled to ``detect_size`` (long side).

    Small photos are enlarged (up to ``max_upscale``) so that small faces reach the
    detector's minimum window; large ones are reduced. Boxes (and landmarks) come back in
    the coordinates of the pixels given. Each detector has its own defaults for both,
    where its smallest face lies (``None`` in the settings means these).
    """

    default_detect_size: ClassVar[int] = 1600
    default_max_upscale: ClassVar[float] = 1.5

    def __init__(self, detect_size: int | None, max_upscale: float | None, min_score: float) -> None:
        super().__init__()
        self.detect_size = detect_size or self.default_detect_size
        self.max_upscale = max_upscale or self.default_max_upscale
        self.min_score = min_score
        self._run_lock = threading.Lock()  # neither dlib's nor OpenCV's objects are documented as thread-safe

    def detect(self, pixels: np.ndarray) -> list[Detection]:
        """Faces in an H x W x 3 uint8 RGB array, largest first."""
        self.load()
        height, width = pixels.shape[:2]
        factor = self.scale(height, width)
        scaled = pixels
        if abs(factor - 1.0) > 0.02:
            size = (max(1, round(width * factor)), max(1, round(height * factor)))
            scaled = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))
        else:
            factor = 1.0
        with self._run_lock:
            raw = self._detect_scaled(scaled)
        detections = []
        for found in raw:
            if found.score < self.min_score:
                continue
            back = found.scaled(1.0 / factor)
            detection = Detection(back.box.clipped(width, height), back.score, back.landmarks)
            if detection.box.area > 0:
                detections.append(detection)
        return sorted(detections, key=lambda d: d.box.area, reverse=True)

    def scale(self, height: int, width: int) -> float:
        """The factor the photo is detected at: ``detect_size`` on the long side, enlarging at most ``max_upscale``."""
        return min(self.detect_size / max(height, width), self.max_upscale)

    @abstractmethod
    def _detect_scaled(self, pixels: np.ndarray) -> list[Detection]:
        """Faces in the scaled copy, in its coordinates, before the ``min_score`` cut."""
