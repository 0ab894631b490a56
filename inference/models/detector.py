"""Face detectors: a photo's pixels in, face boxes and scores out (torchvision's plain contract)."""

from __future__ import annotations

import threading
from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING

import dlib
import numpy as np
from PIL import Image

from inference.models.base import InferenceModel
from inference.models.dlib_files import CNN_DETECTOR_FILE, model_path, models_package_version
from inference.types import Box, Detection

if TYPE_CHECKING:
    from inference.settings import Settings


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
# Trained Faster R-CNN detectors: need a weights directory (``familyphoto train-detector``).
TRAINED_DETECTORS = ("frcnn", "detectron2")
DETECTOR_NAMES = (*DETECTORS, *TRAINED_DETECTORS)


def make_detector(
    name: str,
    *,
    detect_size: int,
    max_upscale: float,
    min_score: float,
    weights: Path | None = None,
    trained_min_score: float | None = None,
) -> FaceDetector:
    """A detector by name: ``hog``, ``cnn``, or a trained ``frcnn`` / ``detectron2`` from ``weights``.

    ``min_score`` is the dlib detectors' cut (HOG margins); the trained ones score
    probabilities and use ``trained_min_score``, else their own ``detector.json`` threshold.
    """
    if name in TRAINED_DETECTORS:
        if weights is None:
            raise ValueError(
                f"the {name} detector needs a trained detector directory: set FAMILYPHOTO_DETECTOR_WEIGHTS "
                "(or --detector-weights), made by familyphoto train-detector"
            )
        if name == "frcnn":
            from inference.models.frcnn import FrcnnDetector as trained
        else:
            from inference.models.detectron2_detector import Detectron2Detector as trained
        return trained(weights, detect_size=detect_size, max_upscale=max_upscale, min_score=trained_min_score)
    try:
        cls = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; choose one of {', '.join(DETECTOR_NAMES)}") from None
    return cls(detect_size=detect_size, max_upscale=max_upscale, min_score=min_score)


def detector_from_settings(name: str, settings: "Settings", weights: Path | None = None) -> FaceDetector:
    """:func:`make_detector` with the settings' sizes and cuts (``weights``: default ``settings.detector_weights``)."""
    return make_detector(
        name,
        detect_size=settings.detect_size,
        max_upscale=settings.detect_max_upscale,
        min_score=settings.min_face_score,
        weights=settings.detector_weights or weights,
        trained_min_score=settings.detector_min_score,
    )
