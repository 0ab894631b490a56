"""dlib's face embedding: its ResNet (99.38% on LFW) on 5-point-aligned 150x150 face chips.

dlib finds the landmarks and cuts the aligned chip; the network itself runs in torch
(:mod:`inference.models.dlib_resnet_torch`, same weights, same numbers, ~10x faster than
the BLAS-less ``dlib-bin`` wheel).
"""

from __future__ import annotations


import dlib
import numpy as np
import torch
from PIL import Image

from inference.models.embedder import FaceEmbedder
from inference.models.dlib_files import EMBEDDING_FILE, LANDMARKS_FILE, model_path, models_package_version
from inference.models.dlib_resnet_torch import DlibFaceNet
from inference.types import Box

EMBEDDING_DIM = 128
# dlib's chips are 150 px with 25% padding, so a face of ~100 px is all the net sees;
# landmarks are found on a region reduced so the face is at most this wide.
_MAX_FACE_WIDTH = 200
_REGION_MARGIN = 0.5  # of the box size, on each side, so landmarks near the edge stay inside


class DlibEmbedder(FaceEmbedder):
    """128-d embeddings where faces of one person lie within ~0.6 (Euclidean) of each other."""

    name = "dlib_resnet_v1"
    chip_size = 150
    # dlib's rule of thumb, a Euclidean distance of 0.6 between its (norm ~1.47) vectors, is about
    # cosine 0.907 and let 17% of stranger photos in (bench/accuracy.py); 0.94 halved recall.
    # Different people's faces mostly lie under cosine 0.87 (family-dev).
    match_similarity = 0.925
    unrelated_similarity = 0.87

    def _load(self) -> None:
        self._landmarks = dlib.shape_predictor(str(model_path(LANDMARKS_FILE)))
        self._net = DlibFaceNet.from_dat(model_path(EMBEDDING_FILE))

    def embed(self, pixels: np.ndarray, boxes: list[Box], landmarks: list[np.ndarray | None] | None = None) -> np.ndarray:
        """One embedding per box (boxes in ``pixels`` coordinates): an N x 128 float32 array.
        dlib finds its own landmarks (its 5-point model), whatever the detector gave."""
        self.load()
        if not boxes:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        chips = self.chips(pixels, boxes)
        with torch.inference_mode():
            return self._net(torch.from_numpy(chips)).numpy().astype(np.float32)

    def chips(self, pixels: np.ndarray, boxes: list[Box], landmarks: list[np.ndarray | None] | None = None) -> np.ndarray:
        """The 5-point-aligned 150x150 chip of each box: an N x 150 x 150 x 3 uint8 array (no network run)."""
        self.load()
        if not boxes:
            return np.zeros((0, 150, 150, 3), dtype=np.uint8)
        with self._run_lock:
            return np.stack([self._chip(pixels, box) for box in boxes])

    def _chip(self, pixels: np.ndarray, box: Box) -> np.ndarray:
        """The aligned 150x150 chip of one face, cut from a small region around it."""
        height, width = pixels.shape[:2]
        region_box = box.expanded(_REGION_MARGIN, width, height)
        region = pixels[region_box.y1 : region_box.y2, region_box.x1 : region_box.x2]
        factor = min(1.0, _MAX_FACE_WIDTH / max(box.width, 1))
        if factor < 1.0:
            size = (max(1, round(region.shape[1] * factor)), max(1, round(region.shape[0] * factor)))
            region = np.asarray(Image.fromarray(region).resize(size, Image.Resampling.BILINEAR))
        region = np.ascontiguousarray(region)
        rect = dlib.rectangle(
            round((box.x1 - region_box.x1) * factor), round((box.y1 - region_box.y1) * factor),
            round((box.x2 - region_box.x1) * factor) - 1, round((box.y2 - region_box.y1) * factor) - 1,
        )
        shape = self._landmarks(region, rect)
        return dlib.get_face_chip(region, shape, size=150, padding=0.25)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "model": EMBEDDING_FILE,
            "runtime": f"torch {torch.__version__}",
            "landmarks": LANDMARKS_FILE,
            "package": models_package_version(),
            "dlib": dlib.__version__,
        }
