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
from PIL import Image, UnidentifiedImageError

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
# EXIF orientation -> the transpose that shows the photo as a person sees it (as ImageOps.exif_transpose does).
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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
            img = _reduced(_eight_bit(img), min_long_side)  # before any full-size copy is made
            # By the tag read from the file: the 8-bit or reduced copy above carries no EXIF of its own.
            if orientation in _ORIENTATION_TRANSPOSE:
                img = img.transpose(_ORIENTATION_TRANSPOSE[orientation])
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


_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
_ROWS = 256  # rows converted at a time: a few bytes a pixel for the whole image, whatever its size


def _eight_bit(img: Image.Image) -> Image.Image:
    """16-bit and float images as 8-bit gray ("L"), a band of rows at a time (never a float64
    copy of the whole image: 12000 x 12000 16-bit once cost 26 bytes a pixel)."""
    if img.mode not in (*_SIXTEEN_BIT, "F"):
        return img
    width, height = img.size
    out = np.empty((height, width), dtype=np.uint8)
    top = 65535 if img.mode != "F" and img.getextrema()[1] > 255 else 255
    for start in range(0, height, _ROWS):
        band = np.asarray(img.crop((0, start, width, min(start + _ROWS, height))))
        if img.mode == "F":
            out[start : start + _ROWS] = np.clip(band, 0, 255)
        else:  # scaled down to 0-255 in integers: v * 255 // top
            out[start : start + _ROWS] = band.astype(np.uint32) * 255 // top
    return Image.fromarray(out, mode="L")


def _reduced(img: Image.Image, min_long_side: int) -> Image.Image:
    """Shrunk by a whole factor while the long side stays at least ``min_long_side`` (what the
    detector and crops use): a 12000-px PNG costs what a 1700-px one does from here on."""
    factor = max(img.size) // min_long_side
    if factor < 2:
        return img
    if img.mode not in ("L", "LA", "RGB", "RGBA", "RGBa", "La", "I", "F"):
        keep_alpha = img.mode == "PA" or (img.mode == "P" and "transparency" in img.info)
        img = img.convert("RGBA" if keep_alpha else "RGB")
    return img.reduce(factor)


def _to_rgb(img: Image.Image) -> np.ndarray:
    """Any Pillow mode to H x W x 3 uint8: 16-bit scaled down, transparency over white."""
    img = _eight_bit(img)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
