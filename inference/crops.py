"""Face crops for people to look at (not the aligned chips the embedder uses)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from inference.types import Box

_MARGIN = 0.2  # of the box size on each side, so hair and chin show


def face_crop_jpeg(pixels: np.ndarray, box: Box, *, size: int, quality: int) -> bytes:
    """A JPEG of the face in ``box`` (``pixels`` coordinates), long side at most ``size``."""
    height, width = pixels.shape[:2]
    mx, my = round(box.width * _MARGIN), round(box.height * _MARGIN)
    area = Box(box.x1 - mx, box.y1 - my, box.x2 + mx, box.y2 + my).clipped(width, height)
    crop = Image.fromarray(pixels[area.y1 : area.y2, area.x1 : area.x2])
    crop.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    crop.save(out, format="JPEG", quality=quality)
    return out.getvalue()
