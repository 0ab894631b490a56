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
from datetime import datetime
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
    taken_at: str | None = None  # EXIF DateTimeOriginal as ISO 8601 (local time, as cameras write it), if any

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
            taken_at = _taken_at(img)
            if orientation in _TRANSPOSED_ORIENTATIONS:
                width, height = height, width
            if img.format == "JPEG" and max(img.size) > min_long_side:
                ratio = min_long_side / max(img.size)
                img.draft("RGB", (max(1, int(img.size[0] * ratio)), max(1, int(img.size[1] * ratio))))
            img.load()
            img = _small_eight_bit(img, min_long_side)  # no full-size copy of the decoded image is ever made
            if orientation in _TRANSPOSE:  # the orientation read from the file: a converted copy has no EXIF
                img = img.transpose(_TRANSPOSE[orientation])
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
    return DecodedImage(pixels=rgb, width=width, height=height, taken_at=taken_at)


_EXIF_IFD, _DATE_TIME_ORIGINAL, _DATE_TIME = 0x8769, 0x9003, 0x0132


def _taken_at(img: Image.Image) -> str | None:
    """When the photo was taken, from EXIF (DateTimeOriginal, else DateTime) as ``YYYY-MM-DDTHH:MM:SS``."""
    try:
        exif = img.getexif()
        raw = exif.get_ifd(_EXIF_IFD).get(_DATE_TIME_ORIGINAL) or exif.get(_DATE_TIME)
        when = datetime.strptime(str(raw).strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
    except Exception:  # no EXIF, no date, "0000:00:00 00:00:00", a broken block: no date, never an error
        return None
    return when.isoformat()


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block must not make the photo unreadable
        return 1


_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
_EIGHT_BIT = ("L", "LA", "RGB", "RGBA")  # what ``Image.reduce`` takes as it is, and ``_to_rgb`` finishes
_ROWS = 256  # rows converted at a time: the cost of a conversion, whatever the image's size
_TRANSPOSE = {  # EXIF orientation -> what makes the pixels as a person sees them (as ImageOps.exif_transpose)
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _small_eight_bit(img: Image.Image, min_long_side: int) -> Image.Image:
    """The decoded image shrunk by a whole factor while its long side stays at least ``min_long_side``
    (what detection and crops use), in an 8-bit mode, without a full-size copy of it.

    8-bit gray and colour are reduced as they are. Every other mode (16- and 32-bit, float, palette,
    bilevel, CMYK...) is converted a band of rows at a time, each band reduced as soon as it is
    converted: beyond the decoder's own image only one band exists at full size (a 12000 x 12000
    16-bit PNG once cost 26 bytes a pixel in float64 copies)."""
    factor = max(1, max(img.size) // min_long_side)
    if img.mode in _EIGHT_BIT:
        return img.reduce(factor) if factor > 1 else img
    convert = _band_converter(img)
    width, height = img.size
    rows = factor * max(1, _ROWS // factor)  # a whole number of reduction blocks: the same pixels as one reduce
    out: Image.Image | None = None
    for top in range(0, height, rows):
        band = convert(img.crop((0, top, width, min(top + rows, height))))
        if factor > 1:
            band = band.reduce(factor)
        if out is None:
            out = Image.new(band.mode, (-(-width // factor), -(-height // factor)))
        out.paste(band, (0, top // factor))
    assert out is not None  # an image has at least one row
    return out


def _band_converter(img: Image.Image):
    """How a band of rows of ``img`` becomes 8-bit ("L", "RGB" or "RGBA"); 16-bit and 32-bit gray are
    scaled to 0-255 by the image's range (0-65535 when any value is over 255), floats clipped to it."""
    if img.mode in _SIXTEEN_BIT:
        top = 65535 if img.getextrema()[1] > 255 else 255

        def integers(band: Image.Image) -> Image.Image:  # v * 255 // top in integers, out of range clipped
            values = np.clip(np.asarray(band), 0, top).astype(np.uint32)
            values *= 255
            values //= top
            return Image.fromarray(values.astype(np.uint8), mode="L")

        return integers
    if img.mode == "F":
        return lambda band: Image.fromarray(
            np.clip(np.nan_to_num(np.asarray(band)), 0, 255).astype(np.uint8), mode="L"
        )
    if img.mode in ("1", "La"):
        return lambda band: band.convert("L" if img.mode == "1" else "LA")
    keep_alpha = img.mode in ("PA", "RGBa") or (img.mode == "P" and "transparency" in img.info)
    return lambda band: band.convert("RGBA" if keep_alpha else "RGB")


def _to_rgb(img: Image.Image) -> np.ndarray:
    """An 8-bit image to H x W x 3 uint8, transparency over white."""
    if img.mode in ("RGBA", "LA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
