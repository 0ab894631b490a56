"""dlib's two face detectors: HOG (fast, frontal) and the MMOD CNN (turned faces, slow on a CPU)."""

from __future__ import annotations

import dlib
import numpy as np

from inference.models.detector import FaceDetector
from inference.models.dlib_files import CNN_DETECTOR_FILE, model_path, models_package_version
from inference.types import Box, Detection


def _box(rect: dlib.rectangle) -> Box:
    return Box(rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)


class HogDetector(FaceDetector):
    """dlib's HOG + linear SVM frontal face detector: fast on a CPU, frontal and near-frontal faces."""

    name = "hog"

    def _load(self) -> None:
        self._detector = dlib.get_frontal_face_detector()

    def _detect_scaled(self, pixels: np.ndarray) -> list[Detection]:
        # adjust_threshold lets weaker detections through; min_score filters them after.
        rects, scores, _ = self._detector.run(pixels, 0, min(self.min_score, 0.0))
        return [Detection(_box(r), float(s)) for r, s in zip(rects, scores)]

    def describe(self) -> dict:
        return {"name": self.name, "model": "dlib.get_frontal_face_detector", "dlib": dlib.__version__}


class CnnDetector(FaceDetector):
    """dlib's CNN (MMOD) face detector: finds turned and tilted faces HOG misses; slow on a CPU."""

    name = "cnn"

    def _load(self) -> None:
        self._detector = dlib.cnn_face_detection_model_v1(str(model_path(CNN_DETECTOR_FILE)))

    def _detect_scaled(self, pixels: np.ndarray) -> list[Detection]:
        return [Detection(_box(d.rect), float(d.confidence)) for d in self._detector(pixels, 0)]

    def describe(self) -> dict:
        return {"name": self.name, "model": CNN_DETECTOR_FILE, "package": models_package_version(), "dlib": dlib.__version__}
