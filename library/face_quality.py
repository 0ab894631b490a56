"""Which library faces are good enough to group: big enough in the photo and sharp enough, from what the
library stores (the face's box and its crop JPEG), without reading the photo again.

Measured by ``bench/discover.py`` on jurassic6 + celeb5 with degraded copies of the known faces: copies
blurred by 8% of the face's side mixed people (BCubed precision 0.63 without the filter, 0.99 with it);
copies 16 px tall made groups of their own (precision 0.94); at 24 px and above they grouped like the rest.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from inference.models.opencv import cv2
from inference.types import Box

_SHARPNESS_SIDE = 64  # px: the face is compared at one size, whatever its size in the photo
_CROP_MARGIN = 0.2  # of the box on each side in the stored crop (inference.crops): cut off, the face is left


@dataclass(frozen=True)
class QualitySettings:
    min_face_px: int = 24  # shorter side of the box, in the photo's pixels
    # Variance of the Laplacian of the face at 64 px, grey levels 0-255: known faces of jurassic6 and celeb5
    # all measure over 80 (1% under 109), faces blurred by 8% of their side under 15 (90%).
    min_sharpness: float = 50.0


def face_sharpness(crop_jpeg: bytes) -> float:
    """How sharp a face is: the variance of the Laplacian of its stored crop (margin cut off) at 64 x 64 px.
    0 for a crop that cannot be read."""
    try:
        with Image.open(io.BytesIO(crop_jpeg)) as image:
            grey = np.asarray(image.convert("L"), dtype=np.float32)
    except (OSError, ValueError):
        return 0.0
    height, width = grey.shape
    my, mx = round(height * _CROP_MARGIN / (1 + 2 * _CROP_MARGIN)), round(width * _CROP_MARGIN / (1 + 2 * _CROP_MARGIN))
    face = grey[my : height - my, mx : width - mx]
    if face.size == 0:
        return 0.0
    face = cv2.resize(face, (_SHARPNESS_SIDE, _SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(face, cv2.CV_32F).var())


def usable_faces(
    boxes: Sequence[Box],
    sharpness: Sequence[float] | np.ndarray | None = None,
    settings: QualitySettings = QualitySettings(),
) -> np.ndarray:
    """A bool per face: big enough (``boxes`` in the photo's pixels) and, where ``sharpness`` is given
    (:func:`face_sharpness` of each crop), sharp enough."""
    sides = np.asarray([min(b.width, b.height) for b in boxes], dtype=np.int64).reshape(len(boxes))
    keep = sides >= settings.min_face_px
    if sharpness is not None:
        keep &= np.asarray(sharpness, dtype=np.float64).reshape(len(boxes)) >= settings.min_sharpness
    return keep
