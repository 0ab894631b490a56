"""YuNet (OpenCV Zoo, 2023mar): a small, fast face detector that also finds small, turned
and children's faces, with five landmarks per face. Run by OpenCV's own ``cv2.FaceDetectorYN``.

Its smallest reliable face is about 10-15 px, so photos are detected at their own size up to
``detect_size`` (4000 px: faces down to ~20 px at the back of a group photo are kept), and a
photo smaller than ``ENLARGED_SIDE`` is enlarged to it (up to ``max_upscale``) instead, so its
20 px faces become findable. One pass, not two: a second, native pass found 1% more faces on
facemask_voc for 2.3x the detection time (docs/benchmarks.md, "Face detectors").
"""

from __future__ import annotations

import numpy as np

from inference.models.detector import FaceDetector
from inference.models.opencv import cv2
from inference.models.zoo_files import YUNET, package_version, zoo_path
from inference.types import Box, Detection

DEFAULT_MIN_SCORE = 0.5  # YuNet's scores are probabilities; OpenCV's demo keeps 0.9, which drops turned faces
ENLARGED_SIDE = 1024  # long side a small photo is enlarged to, at most: the cost grows with the pixels
_NMS_THRESHOLD = 0.3
_TOP_K = 5000


class YunetDetector(FaceDetector):
    """Face boxes, scores and 5 landmarks (right eye, left eye, nose tip, mouth corners)."""

    name = "yunet"
    default_detect_size = 4000
    default_max_upscale = 2.0

    def __init__(self, detect_size: int | None, max_upscale: float | None, min_score: float | None = None) -> None:
        super().__init__(detect_size, max_upscale, DEFAULT_MIN_SCORE if min_score is None else min_score)

    def scale(self, height: int, width: int) -> float:
        """The photo's own size (reduced to ``detect_size``), or a small photo enlarged towards ``ENLARGED_SIDE``."""
        long_side = max(height, width)
        native = min(1.0, self.detect_size / long_side)
        enlarged = min(self.max_upscale, ENLARGED_SIDE / long_side)
        return enlarged if enlarged > 1.05 * native else native  # within 5%: not worth a resize

    def _load(self) -> None:
        self._detector = cv2.FaceDetectorYN.create(str(zoo_path(YUNET)), "", (320, 320), self.min_score, _NMS_THRESHOLD, _TOP_K)

    def _detect_scaled(self, pixels: np.ndarray) -> list[Detection]:
        bgr = np.ascontiguousarray(pixels[:, :, ::-1])
        self._detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, faces = self._detector.detect(bgr)
        return [_detection(row) for row in (faces if faces is not None else [])]

    def describe(self) -> dict:
        return {"name": self.name, "model": YUNET.filename, "licence": YUNET.licence, "sha256": YUNET.sha256,
                "package": package_version(), "runtime": f"opencv {cv2.__version__}"}


def _detection(row: np.ndarray) -> Detection:
    """One row of YuNet's output: x, y, w, h, 5 landmark (x, y) pairs, score."""
    x, y, w, h = (float(v) for v in row[:4])
    box = Box(round(x), round(y), round(x + w), round(y + h))
    return Detection(box, float(row[14]), np.asarray(row[4:14], dtype=np.float32).reshape(5, 2))
