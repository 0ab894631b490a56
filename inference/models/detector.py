"""Face detectors: a photo's pixels in, face boxes and scores out (torchvision's plain contract)."""

from __future__ import annotations

import threading
from abc import abstractmethod

import dlib
import numpy as np
from PIL import Image

from inference.models.base import InferenceModel
from inference.models.dlib_files import CNN_DETECTOR_FILE, model_path, models_package_version
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


def _box(rect: dlib.rectangle) -> Box:
    return Box(rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)


class HogDetector(FaceDetector):
    """dlib's HOG + linear SVM frontal face detector: fast on a CPU, frontal and near-frontal faces."""

    name = "hog"

    def _load(self) -> None:
        self._detector = dlib.get_frontal_face_detector()

    def _detect_scaled(self, pixels: np.ndarray) -> list[tuple[Box, float]]:
        # adjust_threshold lets weaker detections through; min_score filters them after.
        rects, scores, _ = self._detector.run(pixels, 0, min(self.min_score, 0.0))
        return [(_box(r), float(s)) for r, s in zip(rects, scores)]

    def describe(self) -> dict:
        return {"name": self.name, "model": "dlib.get_frontal_face_detector", "dlib": dlib.__version__}


class CnnDetector(FaceDetector):
    """dlib's CNN (MMOD) face detector: finds turned and tilted faces HOG misses; slow on a CPU."""

    name = "cnn"

    def _load(self) -> None:
        self._detector = dlib.cnn_face_detection_model_v1(str(model_path(CNN_DETECTOR_FILE)))

    def _detect_scaled(self, pixels: np.ndarray) -> list[tuple[Box, float]]:
        return [(_box(d.rect), float(d.confidence)) for d in self._detector(pixels, 0)]

    def describe(self) -> dict:
        return {"name": self.name, "model": CNN_DETECTOR_FILE, "package": models_package_version(), "dlib": dlib.__version__}


DETECTORS: dict[str, type[FaceDetector]] = {"hog": HogDetector, "cnn": CnnDetector}


def make_detector(name: str, *, detect_size: int, max_upscale: float, min_score: float) -> FaceDetector:
    """A detector by name (``hog`` or ``cnn``)."""
    try:
        cls = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}") from None
    return cls(detect_size=detect_size, max_upscale=max_upscale, min_score=min_score)
