"""Decoding photos safely: any format a family has, oriented as a person sees it.

One decode per photo. Large JPEGs are decoded at a reduced scale straight from the file
(``Image.draft``) because detection and face crops never need more than ``detect_size``
pixels; coordinates are reported in the full-size, EXIF-oriented frame.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from inference.types import Box

try:  # iPhone photos; optional at import time so a missing wheel only disables HEIC.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - pillow-heif is a hard dependency in pyproject
    HEIF_SUPPORTED = False

ErrorKind = Literal["empty", "not_image", "corrupt", "too_large"]

# EXIF orientations that swap width and height.
_TRANSPOSED_ORIENTATIONS = {5, 6, 7, 8}


class ImageDecodeError(ValueError):
    """A photo that cannot be used, with a one-line reason and a machine-readable kind."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind


@dataclass(frozen=True)
class DecodedImage:
    """RGB pixels of a photo (possibly reduced), and the size of the full photo as seen."""

    pixels: np.ndarray  # H x W x 3, uint8, EXIF orientation applied
    width: int  # full-size width as a person sees it
    height: int

    @property
    def scale(self) -> float:
        """Pixels of ``pixels`` per pixel of the full photo (≤ 1)."""
        return self.pixels.shape[1] / self.width

    def to_photo(self, box: Box) -> Box:
        """A box on ``pixels`` in the full photo's coordinates (what results report)."""
        return box.scaled(1.0 / self.scale).clipped(self.width, self.height)

    def to_pixels(self, box: Box) -> Box:
        """A box in the full photo's coordinates on ``pixels`` (what the models see)."""
        return box.scaled(self.scale).clipped(self.pixels.shape[1], self.pixels.shape[0])


def read_photo_bytes(path: Path) -> bytes:
    """A photo file's bytes; refuses pipes and devices (reading one would block) with ``OSError``."""
    with open(path, "rb", opener=_open_regular) as fh:
        return fh.read()


def _open_regular(path: str, flags: int) -> int:
    fd = os.open(path, flags | os.O_NONBLOCK)  # opening a FIFO must not wait for a writer
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(0, "not a regular file (a pipe, socket or device)", path)
    os.set_blocking(fd, True)
    return fd


def decode_image(source: bytes | Path, *, min_long_side: int, max_pixels: int) -> DecodedImage:
    """Decode a photo from bytes or a path.

    ``min_long_side``: the decoder may reduce a large JPEG, but never below this long side.
    ``max_pixels``: images claiming more pixels are refused before any pixel is decoded.
    Raises ``ImageDecodeError`` with a clear one-line message for anything unusable.
    """
    data = read_photo_bytes(source) if isinstance(source, Path) else source
    if not data:
        raise ImageDecodeError("empty", "empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if width * height > max_pixels:
                raise ImageDecodeError(
                    "too_large",
                    f"image is {width}x{height} = {width * height / 1e6:.0f} megapixels, over the limit of "
                    f"{max_pixels / 1e6:.0f} (a decompression bomb?)",
                )
            orientation = _orientation(img)
            if orientation in _TRANSPOSED_ORIENTATIONS:
                width, height = height, width
            if img.format == "JPEG" and max(img.size) > min_long_side:
                ratio = min_long_side / max(img.size)
                img.draft("RGB", (max(1, int(img.size[0] * ratio)), max(1, int(img.size[1] * ratio))))
            img.load()
            img = ImageOps.exif_transpose(img) or img
            rgb = _to_rgb(img)
    except ImageDecodeError:
        raise
    except UnidentifiedImageError:
        raise ImageDecodeError("not_image", "not an image (unrecognised format)") from None
    except Image.DecompressionBombError:
        # Pillow refuses on its own past twice its MAX_IMAGE_PIXELS; the limit a person set is ours.
        raise ImageDecodeError(
            "too_large", f"image is over the limit of {max_pixels / 1e6:.0f} megapixels (a decompression bomb?)"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageDecodeError("corrupt", f"corrupt or truncated image: {_one_line(exc)}") from None
    return DecodedImage(pixels=rgb, width=width, height=height)


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block must not make the photo unreadable
        return 1


def _to_rgb(img: Image.Image) -> np.ndarray:
    """Any Pillow mode to H x W x 3 uint8: 16-bit scaled down, transparency over white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        gray = np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([gray] * 3, axis=-1))
    if img.mode == "F":
        gray = np.clip(np.asarray(img), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([gray] * 3, axis=-1))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
