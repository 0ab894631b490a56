"""SFace (OpenCV Zoo, 2021dec): 128-d face embeddings on 112x112 crops aligned by five landmarks,
run by OpenCV's own ``cv2.FaceRecognizerSF`` (17 ms a face on one thread; onnxruntime took 31 ms).

The landmarks come with YuNet's detections. Faces found otherwise (HOG, a trained detector,
a box drawn by a person) get theirs from YuNet run on the region around the box, and, where
even YuNet finds nothing there, from where landmarks sit in an average YuNet box.
"""

from __future__ import annotations

import numpy as np

from inference.models.embedder import FaceEmbedder
from inference.models.opencv import cv2
from inference.models.zoo_files import SFACE, YUNET, package_version, zoo_path
from inference.types import Box

EMBEDDING_DIM = 128
CHIP_SIZE = 112
_REGION_MARGIN = 0.5  # of the box size, on each side, so the whole face is in the region
_REGION_FACE_WIDTH = 120  # the region is scaled so the face is about this wide for YuNet
# Mean landmark positions in a YuNet box (fractions of its width and height), measured on
# jurassic6 and celeb5: the last resort when no detector finds landmarks in the region.
_BOX_LANDMARKS = np.asarray([[0.27, 0.38], [0.68, 0.38], [0.475, 0.58], [0.33, 0.735], [0.68, 0.735]], dtype=np.float32)


class SfaceEmbedder(FaceEmbedder):
    """Unit-length 128-d embeddings: one person's faces have cosine similarity above ~0.36."""

    name = "sface"
    chip_size = CHIP_SIZE
    # OpenCV's own cosine threshold for SFace (opencv_zoo's face_recognition_sface demo).
    match_similarity = 0.363
    # Different people's faces mostly lie under 0.2 (jurassic6, fiw-dev: docs/models.md).
    unrelated_similarity = 0.2

    def _load(self) -> None:
        self._recognizer = cv2.FaceRecognizerSF.create(str(zoo_path(SFACE)), "")
        self._finder = cv2.FaceDetectorYN.create(str(zoo_path(YUNET)), "", (320, 320), 0.3, 0.3, 20)

    def embed(self, pixels: np.ndarray, boxes: list[Box], landmarks: list[np.ndarray | None] | None = None) -> np.ndarray:
        """One unit-length embedding per box: an N x 128 float32 array."""
        chips = self.chips(pixels, boxes, landmarks)
        if not len(chips):
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        with self._run_lock:
            # feature() takes OpenCV's BGR order, as alignCrop cut it. (Adding the mirror image's
            # embedding gained 0.02 F1 on jurassic6, lost 0.03 on fiw-dev's twins, and cost 17 ms
            # a face: not done.)
            vectors = np.vstack([self._recognizer.feature(np.ascontiguousarray(c[:, :, ::-1])) for c in chips])
        vectors = vectors.astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def chips(self, pixels: np.ndarray, boxes: list[Box], landmarks: list[np.ndarray | None] | None = None) -> np.ndarray:
        """The aligned 112x112 RGB crop of each box: an N x 112 x 112 x 3 uint8 array (no network run)."""
        self.load()
        if not boxes:
            return np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), dtype=np.uint8)
        landmarks = landmarks or [None] * len(boxes)
        bgr = np.ascontiguousarray(pixels[:, :, ::-1])
        with self._run_lock:
            rows = [_row(box, points if points is not None else self._find_landmarks(bgr, box)) for box, points in zip(boxes, landmarks)]
            return np.stack([self._recognizer.alignCrop(bgr, row)[:, :, ::-1] for row in rows])

    def _find_landmarks(self, bgr: np.ndarray, box: Box) -> np.ndarray:
        """YuNet's landmarks of the face best overlapping ``box``, found in the region around it."""
        height, width = bgr.shape[:2]
        region_box = box.expanded(_REGION_MARGIN, width, height)
        region = bgr[region_box.y1 : region_box.y2, region_box.x1 : region_box.x2]
        factor = _REGION_FACE_WIDTH / max(box.width, 1)
        if region.size and 0.1 < factor < 10:
            scaled = cv2.resize(region, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
            self._finder.setInputSize((scaled.shape[1], scaled.shape[0]))
            _, faces = self._finder.detect(scaled)
            best, best_iou = None, 0.3
            for row in faces if faces is not None else []:
                x, y, w, h = row[:4] / factor
                found = Box(round(x + region_box.x1), round(y + region_box.y1), round(x + w + region_box.x1), round(y + h + region_box.y1))
                iou = found.iou(box)
                if iou > best_iou:
                    best, best_iou = row[4:14].reshape(5, 2) / factor + [region_box.x1, region_box.y1], iou
            if best is not None:
                return best.astype(np.float32)
        return _BOX_LANDMARKS * [box.width, box.height] + [box.x1, box.y1]

    def describe(self) -> dict:
        return {"name": self.name, "model": SFACE.filename, "licence": SFACE.licence, "sha256": SFACE.sha256,
                "landmarks": YUNET.filename, "package": package_version(), "runtime": f"opencv {cv2.__version__}"}


def _row(box: Box, landmarks: np.ndarray) -> np.ndarray:
    """A face as OpenCV's face API takes it: x, y, w, h, five (x, y) landmarks, score."""
    return np.asarray([box.x1, box.y1, box.width, box.height, *np.asarray(landmarks).reshape(10), 1.0], dtype=np.float32)

