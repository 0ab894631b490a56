"""Pictures of library photos for people to look at: a thumbnail made while the photo is indexed, a
screen-sized preview made the first time it is asked for; both JPEG, as a person sees the photo (EXIF
rotation applied, HEIC converted), kept on disk by the photo's content hash so each is made once."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from inference.image_io import decode_image
from inference.manifest import write_atomic

Kind = Literal["thumbnail", "preview"]
THUMBNAIL_SIDE = 360  # px, long side: a grid cell on a high-density screen
PREVIEW_SIDE = 1600  # px, long side: a laptop screen, a phone's zoom
_QUALITY = {"thumbnail": 80, "preview": 85}


def jpeg_of(pixels: np.ndarray, long_side: int, quality: int) -> bytes:
    """``pixels`` (H x W x 3) reduced to at most ``long_side`` on the long side, as a JPEG."""
    image = Image.fromarray(pixels)
    # reducing_gap: a fast integer reduce first, then Lanczos over the last factor of 2 (as good to the eye).
    image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def thumbnail_jpeg(pixels: np.ndarray) -> bytes:
    return jpeg_of(pixels, THUMBNAIL_SIDE, _QUALITY["thumbnail"])


def preview_jpeg(pixels: np.ndarray) -> bytes:
    return jpeg_of(pixels, PREVIEW_SIDE, _QUALITY["preview"])


class MediaCache:
    """``ROOT/<kind>/<first two hex digits>/<sha256>.jpg``: the same photo content is one file, wherever it lies."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, kind: Kind, sha256: str) -> Path:
        return self.root / kind / sha256[:2] / f"{sha256}.jpg"

    def put(self, kind: Kind, sha256: str, jpeg: bytes) -> Path:
        path = self.path(kind, sha256)
        write_atomic(path, jpeg)  # a reader never sees half a JPEG, a crash never leaves one
        return path

    def thumbnail(self, sha256: str, source: Path, *, max_pixels: int) -> Path:
        """The thumbnail (made from ``source`` again if it was lost)."""
        path = self.path("thumbnail", sha256)
        if path.is_file():
            return path
        image = decode_image(source, min_long_side=THUMBNAIL_SIDE, max_pixels=max_pixels)
        return self.put("thumbnail", sha256, thumbnail_jpeg(image.pixels))

    def preview(self, sha256: str, source: Path, *, max_pixels: int) -> Path:
        """The preview, made from ``source`` the first time (decoded only as large as needed)."""
        path = self.path("preview", sha256)
        if path.is_file():
            return path
        image = decode_image(source, min_long_side=PREVIEW_SIDE, max_pixels=max_pixels)
        return self.put("preview", sha256, preview_jpeg(image.pixels))
